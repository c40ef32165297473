"""``python -m inception_course.train --model NAME --data NAME ...``: see ``training/cli.py``."""

from .training.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
