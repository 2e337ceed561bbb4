"""The binary under test: SCA_SANDBOX_BIN, else the repository's release build."""

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
os.environ.setdefault("SCA_SANDBOX_BIN", str(REPO / "target" / "release" / "sca-sandbox"))
