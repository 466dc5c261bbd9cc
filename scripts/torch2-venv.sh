#!/usr/bin/env bash
# Makes bench/.venv, a virtual environment with the CPU build of PyTorch 2.13, for `npm run bench` to time next to
# Debian's PyTorch 1.13. The CPU wheel comes from PyTorch's own index (or a local mirror or wheel folder that pip is
# set up to use: on a machine without internet, pip's configured find-links and indexes). Unreachable indexes fail
# at once (--retries 0) instead of stalling the install.
set -euo pipefail
cd "$(dirname "$0")/.."
spec="${TORCH_SPEC:-torch==2.13.0+cpu}"
python3 -m venv bench/.venv
bench/.venv/bin/pip install --disable-pip-version-check --retries 0 --timeout 10 \
  --extra-index-url https://download.pytorch.org/whl/cpu "$spec" numpy
bench/.venv/bin/python -c 'import torch; print("bench/.venv: PyTorch", torch.__version__)'
