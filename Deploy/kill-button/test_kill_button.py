"""The kill button's parser and trigger on crafted input_event byte streams (python3 -m unittest)."""
import os
import struct
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kill_button as kb  # noqa: E402


def event(etype, code, value, sec=1700000000, usec=5):
    return struct.pack(kb.EVENT_FORMAT, sec, usec, etype, code, value)


# A USB keypad's F13 press as the kernel writes it: MSC_SCAN, the key, SYN_REPORT; then autorepeat and release.
PRESS = event(4, 4, 0x70068) + event(kb.EV_KEY, 183, 1) + event(0, 0, 0)
REPEAT = event(kb.EV_KEY, 183, 2) + event(0, 0, 0)
RELEASE = event(4, 4, 0x70068) + event(kb.EV_KEY, 183, 0) + event(0, 0, 0)


class ParserTests(unittest.TestCase):
    def test_record_size_is_the_kernels(self):
        self.assertEqual(kb.EVENT_SIZE, 24 if struct.calcsize("l") == 8 else 16)

    def test_whole_stream(self):
        records = kb.EventParser().feed(PRESS)
        self.assertEqual([(r[2], r[3], r[4]) for r in records], [(4, 4, 0x70068), (1, 183, 1), (0, 0, 0)])
        self.assertEqual(records[1][:2], (1700000000, 5))

    def test_split_at_every_offset(self):
        stream = PRESS + REPEAT + RELEASE
        whole = kb.EventParser().feed(stream)
        for cut in range(len(stream) + 1):
            p = kb.EventParser()
            self.assertEqual(p.feed(stream[:cut]) + p.feed(stream[cut:]), whole, f"cut at {cut}")

    def test_byte_by_byte(self):
        p = kb.EventParser()
        out = []
        for b in PRESS:
            out += p.feed(bytes([b]))
        self.assertEqual(out, kb.EventParser().feed(PRESS))
        self.assertEqual(p.pending, b"")


class TriggerTests(unittest.TestCase):
    def test_press_fires_once_repeat_and_release_do_not(self):
        t = kb.Trigger(183, cooldown=10)
        fired = [t.fires(r, now=0.0) for r in kb.EventParser().feed(PRESS + REPEAT + RELEASE)]
        self.assertEqual(fired.count(True), 1)

    def test_other_keys_do_not_fire(self):
        t = kb.Trigger(183, cooldown=10)
        self.assertFalse(any(t.fires(r, 0.0) for r in kb.EventParser().feed(event(kb.EV_KEY, 28, 1))))

    def test_cooldown(self):
        t = kb.Trigger(183, cooldown=10)
        press = kb.EventParser().feed(event(kb.EV_KEY, 183, 1))[0]
        self.assertTrue(t.fires(press, 0.0))
        self.assertFalse(t.fires(press, 5.0))
        self.assertTrue(t.fires(press, 10.5))

    def test_key_names(self):
        self.assertEqual(kb.key_code("KEY_F13"), 183)
        self.assertEqual(kb.key_code("0x100"), 256)
        with self.assertRaises(ValueError):
            kb.key_code("KEY_NOPE")


if __name__ == "__main__":
    unittest.main()
