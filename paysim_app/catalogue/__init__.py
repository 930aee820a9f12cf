"""What is sold: tariff plans and add-on services."""
