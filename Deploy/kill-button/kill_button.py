#!/usr/bin/env python3
"""The physical kill button: waits for one key on one input device (a USB button or keypad, read through the
kernel's evdev interface) and runs `gantry kill` when it is pressed.

It reads /dev/input/eventN directly: each read returns whole `struct input_event` records (linux/input.h):
struct timeval time (two longs), __u16 type, __u16 code, __s32 value; EV_KEY (1) records carry the key's code and
1 (press), 0 (release) or 2 (autorepeat). A press of the configured key fires; repeats and releases do not, and a
second press within --cooldown seconds is ignored (a kill report takes seconds to finish). The device is grabbed
(EVIOCGRAB) so that its keys reach nothing else. No dependency beyond Python's standard library.
"""
import argparse
import fcntl
import os
import struct
import subprocess
import sys
import time

# struct input_event on this machine: native longs (16-byte timeval on 64-bit Linux, 8 on 32-bit).
EVENT_FORMAT = "llHHi"
EVENT_SIZE = struct.calcsize(EVENT_FORMAT)
EV_KEY = 1
PRESS, RELEASE, REPEAT = 1, 0, 2
# _IOW('E', 0x90, int): grab the device for this process alone.
EVIOCGRAB = 0x40044590

# The key names most buttons send (linux/input-event-codes.h); any other key by its number.
KEY_CODES = {
    "KEY_ESC": 1, "KEY_ENTER": 28, "KEY_SPACE": 57, "KEY_PAUSE": 119, "KEY_KPENTER": 96, "KEY_STOP": 128,
    "KEY_F13": 183, "KEY_F14": 184, "KEY_F15": 185, "KEY_F16": 186, "KEY_F17": 187, "KEY_F18": 188,
    "KEY_F19": 189, "KEY_F20": 190, "KEY_F21": 191, "KEY_F22": 192, "KEY_F23": 193, "KEY_F24": 194,
    "BTN_0": 0x100, "BTN_1": 0x101, "BTN_LEFT": 0x110, "BTN_TRIGGER": 0x120,
}


def key_code(name):
    """A key's code from its name (KEY_F13) or its number (183, 0xb7). Raises ValueError for anything else."""
    if name in KEY_CODES:
        return KEY_CODES[name]
    try:
        return int(name, 0)
    except ValueError:
        raise ValueError(f"unknown key {name!r}: a name ({', '.join(sorted(KEY_CODES))}) or a number")


class EventParser:
    """Splits a byte stream into input_event records: feed it any chunk; whole records come out, a partial one waits
    for its remaining bytes."""

    def __init__(self):
        self.pending = b""

    def feed(self, data):
        self.pending += data
        whole = len(self.pending) - len(self.pending) % EVENT_SIZE
        out = [struct.unpack_from(EVENT_FORMAT, self.pending, k) for k in range(0, whole, EVENT_SIZE)]
        self.pending = self.pending[whole:]
        return [(sec, usec, etype, code, value) for sec, usec, etype, code, value in out]


class Trigger:
    """Decides which records fire: a press of `code`, at most once per `cooldown` seconds."""

    def __init__(self, code, cooldown):
        self.code = code
        self.cooldown = cooldown
        self.last = None

    def fires(self, record, now):
        _, _, etype, code, value = record
        if etype != EV_KEY or code != self.code or value != PRESS:
            return False
        if self.last is not None and now - self.last < self.cooldown:
            return False
        self.last = now
        return True


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--device", default="/dev/input/gantry-kill-button", help="the input device (the udev rule's symlink)")
    p.add_argument("--key", default="KEY_F13", help="the key that fires: a name or a number")
    p.add_argument("--gantry", default="/opt/gantry/bin/gantry", help="the gantry executable")
    p.add_argument("--config", default="/etc/gantry/trading.toml", help="the gateway's configuration ([control])")
    p.add_argument("--cooldown", type=float, default=10.0, help="ignore presses this many seconds after one fired")
    p.add_argument("--no-grab", action="store_true", help="do not grab the device (its keys reach others too)")
    a = p.parse_args(argv)
    trigger = Trigger(key_code(a.key), a.cooldown)
    fd = os.open(a.device, os.O_RDONLY)
    if not a.no_grab:
        fcntl.ioctl(fd, EVIOCGRAB, 1)
    print(f"kill button: waiting for {a.key} on {a.device}", flush=True)
    parser = EventParser()
    while True:
        data = os.read(fd, EVENT_SIZE * 64)
        if not data:
            print("kill button: the device went away", file=sys.stderr, flush=True)
            return 1
        for record in parser.feed(data):
            if trigger.fires(record, time.monotonic()):
                print(f"kill button: {a.key} pressed: gantry kill", flush=True)
                done = subprocess.run([a.gantry, "kill", "--config", a.config])
                print(f"kill button: gantry kill exited {done.returncode}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
