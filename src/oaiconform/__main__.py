import sys

from oaiconform.cli import main

sys.exit(main())
