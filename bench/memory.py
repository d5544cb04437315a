"""A server's resident memory as /proc reports it: the process and every descendant (the
`--workers N` supervisor's workers, PostGraphile's node process alone)."""

import psutil


def tree_rss_bytes(pid: int) -> int:
    """RSS of `pid` and its descendants, in bytes; processes that end meanwhile count 0."""
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total


def mib(value: float) -> float:
    return value / (1024 * 1024)
