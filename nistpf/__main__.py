"""``python -m nistpf``: the same as the ``nistpf`` command."""

from nistpf.cli import main

raise SystemExit(main())
