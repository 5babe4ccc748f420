"""Stand-in for ansible-test's pip bootstrap script (get-pip.py), whose download host is not
reachable here. ansible-test runs it inside each new sanity venv: ensurepip gives that venv a pip,
which then installs the packages ansible-test asked for from PyPI. Installed by `make sanity`."""

import subprocess
import sys

subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"], stdout=subprocess.DEVNULL)
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", *args]))
