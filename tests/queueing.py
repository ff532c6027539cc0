"""Queueing reference values for the tests of the support queue."""

from __future__ import annotations


def erlang_c_wait(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean queueing delay ``Wq`` of an M/M/c queue (Erlang C); ``inf`` if utilisation >= 1.

    An analytic benchmark for validating the simulator's advisor/counsellor queues. Uses
    the Erlang B recursion ``B_k = a B_{k-1} / (k + a B_{k-1})`` (all terms in [0, 1]) and
    ``C = c B / (c - a (1 - B))``, which is stable for hundreds of servers, unlike the
    factorial/power form.
    """
    if servers < 1 or int(servers) != servers:
        raise ValueError(f"servers must be a positive integer, got {servers!r}")
    if not service_rate > 0.0:
        raise ValueError(f"service_rate must be > 0, got {service_rate!r}")
    if not arrival_rate >= 0.0:
        raise ValueError(f"arrival_rate must be >= 0, got {arrival_rate!r}")
    c = int(servers)
    a = arrival_rate / service_rate  # offered load in Erlangs
    if a >= c:
        return float("inf")
    if a == 0.0:
        return 0.0
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    prob_wait = c * b / (c - a * (1.0 - b))
    return float(prob_wait / (c * service_rate - arrival_rate))
