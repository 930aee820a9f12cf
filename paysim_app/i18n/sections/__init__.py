"""Per-section message catalogues: each module defines RU and EN dicts (see i18n/__init__)."""
