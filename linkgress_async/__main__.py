"""``python -m linkgress_async``: the ``linkgress`` command line."""

from linkgress_async.executable import run

if __name__ == "__main__":
    run()
