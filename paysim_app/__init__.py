"""PaySim self-care cabinet: subscribers, partners and the operator's back office."""
