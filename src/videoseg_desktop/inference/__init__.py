"""SAM 2.1 inference: model registry, checkpoints, image and video sessions. No Qt.

torch and sam2 are imported lazily inside functions so that importing this package is cheap.
"""

import os

# torch's OpenMP threads spin while waiting; next to a busy GUI thread (or any other busy
# process) that made tracking 3-7x slower on 2 cores. Must be set before torch is imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
