"""Virtual time: the runtime owns the clock, and it moves only when nothing else can.

Every timer in the app is a timer on this clock: Wait states, Retry intervals,
TimeoutSeconds and HeartbeatSeconds, Lambda timeouts, scheduled rules, pipe
batching windows, SQS visibility timeouts, and the outside parties a test
registers. Time advances only when the system is quiescent (no engine or
function thread can run, no pipe has anything to deliver, no party has anything
to do at this instant); then the clock jumps to the earliest timer. This is how
Temporal's time-skipping test server works: a 24-hour Wait takes milliseconds,
and a heartbeat expires only when nobody answered within the heartbeat *in
virtual time*, however busy the machine is.

How quiescence is known without reading anything through the API: every thread
the engine or the Lambda sandbox starts is a `ManagedThread`, counted as busy
from the moment it is started (in the starting thread, so there is no gap) until
it ends. A managed thread that blocks on a `VirtualEvent` (with or without a
timeout) or in `sleep` stops counting while it waits; whoever wakes it (an
event's `set`, a timer falling due) counts it busy again *before* it runs, under
the clock's lock. So `busy == 0` means exactly: every managed thread is parked
on a timer or on an event only someone else can set.

What reads the clock: `time.time()` and `datetime.now()` are virtual for the
whole process while the clock runs (time-machine, the well-kept library that
patches them at the C level), so handlers, moto's timestamps, execution
histories, `$$.Execution.StartTime` and stream record times all read the same
virtual now. `time.monotonic()` stays real: it is what the runtime's own safety
deadlines use. `time.sleep` in a managed thread is a virtual sleep.

Every blocking path is bounded. A thread the clock does not manage (a test calling a function,
a request of the served endpoint) that waits on virtual time moves the clock itself whenever
nothing else can run, and gives up after `safety_seconds` of real time with `RuntimeNotQuiet`,
naming the threads that were still busy. A waiter that holds the storage lock (a request that
waits: SQS long polling, StartSyncExecution) lets go of it while it waits (`storage.released`).
A Lambda invocation that ran out of time is frozen (`freeze`): its thread never wakes again
while the app runs, and is made to unwind with `InvocationFrozen` when the app stops.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time as _time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import time_machine

from local_runtime import storage

_real_sleep = _time.sleep
_local = threading.local()

# What a timer waits for. `drain()` jumps to timers of every kind but stops when only
# callback waits (an outside party must answer) and periodic schedules remain.
ENGINE = "engine"  # Wait states, Retry intervals, TimeoutSeconds, execution timeouts
CALLBACK = "callback"  # HeartbeatSeconds / TimeoutSeconds of a task waiting for its token
FUNCTION = "function"  # a Lambda invocation's timeout, a handler's own sleep
PARTY = "party"  # an outside party acting at its own time (a payment provider)
SCHEDULE = "schedule"  # a scheduled rule's next tick
PIPE = "pipe"  # a pipe's batching window
QUEUE = "queue"  # an SQS message becoming visible again

WAITING_ON_OUTSIDE = frozenset({CALLBACK, SCHEDULE})


class ClockDeadlock(RuntimeError):
    """A thread the clock does not manage waits for something that can never happen."""


class RuntimeNotQuiet(Exception):
    """The app did not become quiet: a thread kept running past the real-time safety timeout, or
    timers kept falling due past the virtual horizon. The message names what was still busy."""


class InvocationFrozen(BaseException):
    """Raised in the thread of a Lambda invocation that ran out of time, so it cannot go on: at
    its next wait, its next AWS call, or when the app stops. A BaseException, so that a
    handler's ``except Exception`` cannot swallow it and carry on writing."""


DEFAULT_SAFETY_SECONDS = 60.0
"""Real seconds an unmanaged waiter gives the app to become quiet before `RuntimeNotQuiet`."""


@dataclass(order=True)
class Timer:
    due: float
    seq: int
    kind: str = field(compare=False)
    waiter: _Waiter | None = field(compare=False, default=None)
    callback: Callable[[], None] | None = field(compare=False, default=None)
    cancelled: bool = field(compare=False, default=False)

    def cancel(self) -> None:
        self.cancelled = True


class _TimerHeaps:
    """Pending timers, one heap per kind.

    Why per kind: the driver asks for the soonest timer of some kinds only (`next_due(exclude=...)`
    leaves out what waits on the outside world), and a burst keeps thousands of timers pending
    (every saga parked on a task token has its timeout). One heap answered that by walking every
    timer, on every jump; a heap per kind answers it by looking at a few tops. Cancelled timers
    are dropped when they reach a top."""

    def __init__(self) -> None:
        self._heaps: dict[str, list[Timer]] = {}

    def push(self, timer: Timer) -> None:
        heapq.heappush(self._heaps.setdefault(timer.kind, []), timer)

    def clear(self) -> None:
        self._heaps.clear()

    def soonest(self, exclude: frozenset[str] = frozenset()) -> Timer | None:
        """The live timer due first among the kinds not excluded."""
        first: Timer | None = None
        for kind, heap in self._heaps.items():
            while heap and heap[0].cancelled:
                heapq.heappop(heap)
            if heap and kind not in exclude and (first is None or heap[0] < first):
                first = heap[0]
        return first

    def pop_due(self, now: float) -> Timer | None:
        """Take the soonest live timer if it is due by ``now``."""
        timer = self.soonest()
        if timer is None or timer.due > now:
            return None
        return heapq.heappop(self._heaps[timer.kind])

    def live(self) -> list[Timer]:
        return [t for heap in self._heaps.values() for t in heap if not t.cancelled]


class _Waiter:
    __slots__ = ("event", "generation", "managed", "real", "reason", "thread", "timer")

    def __init__(self, event: VirtualEvent, managed: bool, generation: int) -> None:
        self.event = event
        self.managed = managed
        self.generation = generation
        self.real = threading.Event()
        self.reason: str | None = None
        self.timer: Timer | None = None
        self.thread = threading.current_thread()


def is_managed() -> bool:
    """Whether the current thread is one the clock counts (an engine or function thread of the
    app now running: a thread left over from an app that stopped counts for nothing)."""
    return bool(getattr(_local, "managed", False)) and getattr(_local, "generation", -1) == CLOCK.generation


def current_kind(default: str = ENGINE) -> str:
    return str(getattr(_local, "kind", None) or default)


@contextmanager
def timer_kind(kind: str) -> Iterator[None]:
    """Classify the timers this thread (and the threads it starts) sets while inside."""
    previous = getattr(_local, "kind", None)
    _local.kind = kind
    try:
        yield
    finally:
        _local.kind = previous


class VirtualClock:
    """The app's clock: virtual now, timers, and the count of threads that can run."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._timers = _TimerHeaps()
        self._seq = itertools.count()
        self._busy = 0
        self._activity = 0
        self._now = 0.0
        self._traveller: time_machine.travel | None = None
        self._coordinates: time_machine.Traveller | None = None
        self._sources: list[Callable[[], float | None]] = []
        self._waiting: set[_Waiter] = set()
        self._jump_listeners: list[Callable[[], None]] = []
        self._threads: set[threading.Thread] = set()
        self._frozen: set[threading.Thread] = set()
        self.running = False
        self.jumps = 0
        self.generation = 0
        self.safety_seconds = DEFAULT_SAFETY_SECONDS
        self.driven_externally = False
        """Set by a driver that owns time (the served endpoint following wall time): a waiting
        unmanaged thread then waits for the driver instead of moving the clock itself."""

    # -- lifecycle --------------------------------------------------------------------------
    def start(self, at: datetime | None = None) -> None:
        """Freeze the process's wall clock at `at` (now, to the millisecond, by default)."""
        start = at or datetime.now(UTC)
        start = start.replace(microsecond=start.microsecond // 1000 * 1000)
        with self._lock:
            self.generation += 1
            self._busy = 0
            self._timers.clear()
            self._waiting.clear()
            self._threads.clear()
            self._frozen.clear()
            self.jumps = 0
            self.driven_externally = False
        self._now = start.timestamp()
        self._traveller = time_machine.travel(start, tick=False)
        self._coordinates = self._traveller.start()
        self.running = True
        _time.sleep = _sleep  # type: ignore[assignment]

    def stop(self) -> None:
        """Release every waiter (as if its timer fired) and give the process its real clock back."""
        with self._lock:
            self.running = False
            for waiter in list(self._waiting):
                self._wake(waiter, "frozen" if waiter.thread in self._frozen else "timeout")
            self._timers.clear()
            self._sources.clear()
            self._jump_listeners.clear()
            self._changed.notify_all()
        _time.sleep = _real_sleep
        if self._traveller is not None:
            self._traveller.stop()
            self._traveller = self._coordinates = None

    # -- reading ----------------------------------------------------------------------------
    def now(self) -> datetime:
        return datetime.fromtimestamp(self._now, UTC)

    def timestamp(self) -> float:
        return self._now

    @property
    def busy(self) -> int:
        return self._busy

    @property
    def activity(self) -> int:
        """A counter bumped by anything that may give the driver work (a record arriving, an
        execution ending), so the driver knows to look again."""
        return self._activity

    def poke(self) -> None:
        with self._lock:
            self._activity += 1
            self._changed.notify_all()

    # -- threads ----------------------------------------------------------------------------
    def spawned(self, thread: threading.Thread | None = None) -> int:
        """A managed thread is about to start: count it busy; returns the generation it belongs to."""
        with self._lock:
            self._busy += 1
            if thread is not None:
                self._threads.add(thread)
            return self.generation

    def exited(self, generation: int, thread: threading.Thread | None = None) -> None:
        with self._lock:
            if generation == self.generation:
                self._busy -= 1
            self._threads.discard(thread)  # type: ignore[arg-type]
            self._frozen.discard(thread)  # type: ignore[arg-type]
            self._activity += 1
            self._changed.notify_all()

    def busy_threads(self) -> list[str]:
        """The names of the managed threads that can run now (none of them waits on the clock)."""
        with self._lock:
            waiting = {w.thread for w in self._waiting}
            return sorted(t.name for t in self._threads if t not in waiting)

    def live_threads(self) -> list[threading.Thread]:
        """Every managed thread started by the running app that has not ended."""
        with self._lock:
            return list(self._threads)

    def freeze(self, thread: threading.Thread) -> None:
        """Freeze a thread, as Lambda freezes (then discards) an environment whose invocation
        timed out: a wait it is in never ends while the app runs (its timer is cancelled and no
        event can wake it), a wait it starts raises `InvocationFrozen`, and `stop` makes it
        unwind with `InvocationFrozen`."""
        with self._lock:
            self._frozen.add(thread)
            for waiter in list(self._waiting):
                if waiter.thread is thread and waiter.reason is None:
                    if waiter.timer is not None:
                        waiter.timer.cancelled = True
                        waiter.timer = None
                    with suppress(ValueError):
                        waiter.event._waiters.remove(waiter)
            self._activity += 1
            self._changed.notify_all()

    def is_frozen(self, thread: threading.Thread | None = None) -> bool:
        return (thread or threading.current_thread()) in self._frozen

    def refuse_frozen(self) -> None:
        """Raise `InvocationFrozen` in a frozen thread (its AWS calls never land)."""
        if self._frozen and threading.current_thread() in self._frozen:
            raise InvocationFrozen("the invocation timed out: its environment is frozen")

    # -- timers -----------------------------------------------------------------------------
    def call_at(self, when: float | datetime, callback: Callable[[], None], kind: str) -> Timer:
        """Run `callback` in the driving thread when the clock reaches `when`."""
        due = when.timestamp() if isinstance(when, datetime) else when
        with self._lock:
            timer = Timer(max(due, self._now), next(self._seq), kind, callback=callback)
            self._timers.push(timer)
            return timer

    def call_later(self, seconds: float, callback: Callable[[], None], kind: str) -> Timer:
        return self.call_at(self._now + max(0.0, seconds), callback, kind)

    def on_jump(self, listener: Callable[[], None]) -> None:
        """Call `listener()` after every jump, whoever made it (the driver, or a test thread
        waiting on a function): what depends on time passing without a timer of its own (SQS
        visibility) looks again."""
        self._jump_listeners.append(listener)

    def add_timer_source(self, source: Callable[[], float | None]) -> None:
        """A source of due times the clock does not own (SQS visibility): asked before each jump."""
        self._sources.append(source)

    def next_due(self, *, exclude: frozenset[str] = frozenset()) -> float | None:
        with self._lock:
            first = self._timers.soonest(exclude)
            dues = [first.due] if first is not None else []
            sources = list(self._sources) if QUEUE not in exclude else []
        # Outside the clock's lock: a source may read moto's state, under the storage lock.
        dues += [d for source in sources if (d := source()) is not None]
        return min(dues) if dues else None

    def pending(self) -> list[tuple[datetime, str]]:
        """Pending timers (due time, kind), soonest first: what a stuck test should print."""
        with self._lock:
            return [(datetime.fromtimestamp(t.due, UTC), t.kind) for t in sorted(self._timers.live())]

    def jump_to(self, when: float) -> None:
        """Move the clock to `when` (never backwards) and fire every timer due by then, in order:
        waiting threads are woken (and counted busy), callbacks run here, in the driving thread."""
        callbacks: list[Callable[[], None]] = []
        with self._lock:
            if when > self._now:
                callbacks += self._jump_listeners
                self._now = when
                if self._coordinates is not None:
                    self._coordinates.move_to(datetime.fromtimestamp(when, UTC), tick=False)
                self.jumps += 1
            while (timer := self._timers.pop_due(self._now)) is not None:
                timer.cancelled = True
                if timer.waiter is not None:
                    self._wake(timer.waiter, "timeout")
                elif timer.callback is not None:
                    callbacks.append(timer.callback)
            self._activity += 1
        for callback in callbacks:
            callback()

    # -- blocking ---------------------------------------------------------------------------
    def _wake(self, waiter: _Waiter, reason: str) -> None:
        """Under the lock: mark a waiter woken, count it busy again, and let it run."""
        if waiter.reason is not None:
            return
        waiter.reason = reason
        self._waiting.discard(waiter)
        if waiter.generation != self.generation:
            waiter.managed = False
        if waiter.timer is not None:
            waiter.timer.cancelled = True
        if reason != "set":
            with suppress(ValueError):
                waiter.event._waiters.remove(waiter)
        if waiter.managed:
            self._busy += 1
        waiter.real.set()
        self._changed.notify_all()

    def block(self, event: VirtualEvent, timeout: float | None, kind: str | None = None) -> bool:
        """Wait until `event` is set or `timeout` virtual seconds pass; True if it was set.

        The waiting thread lets go of the storage lock while it waits (a request that waits
        must not hold every other request up), and a frozen thread cannot wait at all."""
        self.refuse_frozen()
        managed = is_managed()
        with self._lock:
            if event._flag:
                return True
            if timeout is not None and timeout <= 0:
                return False
            if not self.running:
                real_wait = True
            else:
                real_wait = False
                waiter = _Waiter(event, managed, self.generation)
                event._waiters.append(waiter)
                self._waiting.add(waiter)
                if timeout is not None:
                    waiter.timer = Timer(self._now + timeout, next(self._seq), kind or current_kind(), waiter)
                    self._timers.push(waiter.timer)
                if managed:
                    self._busy -= 1
                    self._changed.notify_all()
        with storage.released():
            if real_wait:
                return event._real.wait(timeout)
            if managed:
                waiter.real.wait()
            else:
                self._drive_until_woken(waiter, timeout)
        if waiter.reason == "frozen":
            raise InvocationFrozen("the invocation timed out: its environment is frozen")
        return waiter.reason == "set"

    def _drive_until_woken(self, waiter: _Waiter, timeout: float | None) -> None:
        """A thread the clock does not count (a test calling a function, a request of the served
        endpoint) waits on virtual time: while nothing else can run, it moves the clock itself
        (unless a driver owns time). Bounded in real time: `RuntimeNotQuiet` names what was
        still busy when `safety_seconds` ran out."""
        allowance = self.safety_seconds + ((timeout or 0.0) if self.driven_externally else 0.0)
        deadline = _time.monotonic() + allowance
        while True:
            with self._lock:
                while waiter.reason is None and (self._busy > 0 or self.driven_externally):
                    remaining = deadline - _time.monotonic()
                    if remaining <= 0:
                        busy = self.busy_threads()
                        self._abandon(waiter)
                        raise RuntimeNotQuiet(
                            f"still busy after {allowance:.0f} s of real time: {self._busy} busy"
                            f" threads {busy[:20]}; pending timers {self.pending()[:5]}"
                        )
                    self._changed.wait(min(remaining, 0.5))
                if waiter.reason is not None:
                    return
            due = self.next_due()
            if due is None:
                with self._lock:
                    self._abandon(waiter)
                raise ClockDeadlock("an unmanaged thread waits for an event nobody can set")
            self.jump_to(due)

    def _abandon(self, waiter: _Waiter) -> None:
        """Under the lock: forget a waiter that gives up (its timer and its place at the event)."""
        waiter.reason = waiter.reason or "abandoned"
        self._waiting.discard(waiter)
        if waiter.timer is not None:
            waiter.timer.cancelled = True
        with suppress(ValueError):
            waiter.event._waiters.remove(waiter)

    def sleep(self, seconds: float, kind: str | None = None) -> None:
        self.block(VirtualEvent(), max(0.0, seconds), kind)

    def wait_for_quiet(self, since_activity: int, deadline: float) -> bool:
        """Block (in real time, up to the monotonic `deadline`) until no managed thread can run or
        something new happened; True when quiet with nothing new."""
        with self._lock:
            while self._busy > 0 and self._activity == since_activity:
                remaining = deadline - _time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(min(remaining, 0.5))
            return self._busy == 0 and self._activity == since_activity


class VirtualEvent:
    """`threading.Event` on the virtual clock: `wait(timeout)` is a timer, and a waiting managed
    thread stops counting as busy until `set` (or the timer) wakes it."""

    def __init__(self) -> None:
        self._flag = False
        self._waiters: list[_Waiter] = []
        self._real = threading.Event()

    def is_set(self) -> bool:
        return self._flag

    def set(self) -> None:
        clock = CLOCK
        with clock._lock:
            self._flag = True
            self._real.set()
            waiters, self._waiters = self._waiters, []
            for waiter in waiters:
                clock._wake(waiter, "set")

    def clear(self) -> None:
        with CLOCK._lock:
            self._flag = False
            self._real.clear()

    def wait(self, timeout: float | None = None) -> bool:
        return CLOCK.block(self, timeout)


_ended: list[threading.Thread] = []
_ended_lock = threading.Lock()


def _reap_ended() -> None:
    """Join, for the operating system, the threads that have ended: each keeps its stack mapped
    (8 MiB of address space and two memory maps) until it is joined or its object is collected,
    and `ManagedThread.join` waits on the virtual clock only. moto keeps every execution's
    threads referenced, so a burst of thousands of executions ran out of memory maps
    (`vm.max_map_count`) and could start no thread."""
    with _ended_lock:
        ended = _ended[:]
        _ended.clear()
    exiting = []
    for thread in ended:
        threading.Thread.join(thread, timeout=0)  # ended its run: returns at once, freeing it
        if threading.Thread.is_alive(thread):
            exiting.append(thread)  # still on its way out: the next start joins it
    if exiting:
        with _ended_lock:
            _ended.extend(exiting)


class ManagedThread(threading.Thread):
    """A thread the clock counts as busy from `start()` until it ends; `join` is a virtual wait
    (the operating system's join happens when a later thread starts: `_reap_ended`)."""

    def start(self) -> None:
        _reap_ended()
        self._finished = VirtualEvent()
        self._inherited_kind = getattr(_local, "kind", None)
        self._generation = CLOCK.spawned(self)
        try:
            super().start()
        except BaseException:
            CLOCK.exited(self._generation, self)
            raise

    def run(self) -> None:
        _local.managed = True
        _local.generation = self._generation
        _local.kind = self._inherited_kind
        try:
            super().run()
        except InvocationFrozen:
            pass  # a timed-out invocation made to unwind: nothing of it may go on
        finally:
            self._finished.set()
            CLOCK.exited(self._generation, self)
            with _ended_lock:
                _ended.append(self)

    def join(self, timeout: float | None = None) -> None:
        self._finished.wait(timeout)

    def is_alive(self) -> bool:
        finished = getattr(self, "_finished", None)
        return finished is not None and not finished.is_set()


def _sleep(seconds: float) -> None:
    """`time.sleep` while the clock runs: virtual in managed threads, real elsewhere."""
    if is_managed() and CLOCK.running:
        CLOCK.sleep(seconds, current_kind())
    else:
        _real_sleep(seconds)


# One clock per process, as there is one moto and one wall clock per process.
CLOCK = VirtualClock()


def as_seconds(duration: float | timedelta) -> float:
    return duration.total_seconds() if isinstance(duration, timedelta) else float(duration)


def real_sleep(seconds: float) -> None:
    _real_sleep(seconds)
