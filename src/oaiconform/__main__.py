import sys

from oaiconform.cli import entry_point

sys.exit(entry_point())
