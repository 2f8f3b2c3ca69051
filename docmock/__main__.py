"""`python -m docmock`: the same command line as the `docmock` script."""
from docmock.cli import main

if __name__ == "__main__":
    main()
