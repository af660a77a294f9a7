#!/usr/bin/env python3
"""The in-memory baseline of issue 7: PyPI `transitions` stepping dang-vien-du-bi's state machine.

States and events are those of Workflows/dang-vien-du-bi.yaml: the timed end of probation (du-bi -> cho-xet, here an
explicit trigger, since transitions has no clock), bieu-quyet with the two-thirds guard (>= 67 % to chinh-thuc, else
cho-xet-lai), cong-nhan, xoa-ten with its guard on ly_do. Each model runs the life cycle
het-du-bi, bieu-quyet (fails), bieu-quyet (passes), then is put back in du-bi to start again: four steps, three of
them guarded. Prints one JSON object: steps, seconds, stepsPerSecond, version.
"""
import argparse
import json
import time

import transitions
from transitions import Machine


class Member:
    def __init__(self):
        self.ty_le_tan_thanh = 0
        self.ly_do = ""

    def du_nguong(self):
        return self.ty_le_tan_thanh >= 67

    def co_ly_do(self):
        return self.ly_do != ""


STATES = ["du-bi", "cho-xet", "cho-xet-lai", "chinh-thuc", "xoa-ten"]
TRANSITIONS = [
    {"trigger": "het_du_bi", "source": "du-bi", "dest": "cho-xet"},
    {"trigger": "cong_nhan", "source": ["cho-xet", "cho-xet-lai"], "dest": "chinh-thuc"},
    {"trigger": "bieu_quyet", "source": "cho-xet", "dest": "chinh-thuc", "conditions": "du_nguong"},
    {"trigger": "bieu_quyet", "source": "cho-xet", "dest": "cho-xet-lai"},
    {"trigger": "bieu_quyet", "source": "cho-xet-lai", "dest": "chinh-thuc", "conditions": "du_nguong"},
    {"trigger": "xoa_ten", "source": ["cho-xet", "cho-xet-lai"], "dest": "xoa-ten", "conditions": "co_ly_do"},
    {"trigger": "bat_dau_lai", "source": ["chinh-thuc", "xoa-ten"], "dest": "du-bi"},
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", type=int, default=10000)
    ap.add_argument("--steps", type=int, default=1000000)
    a = ap.parse_args()

    models = [Member() for _ in range(a.models)]
    # One machine for all models (transitions' recommended way for many models).
    Machine(model=models, states=STATES, transitions=TRANSITIONS, initial="du-bi", auto_transitions=False)

    steps = 0
    t0 = time.perf_counter()
    c0 = time.process_time()
    while steps < a.steps:
        for m in models:
            m.het_du_bi()
            m.ty_le_tan_thanh = 50
            m.bieu_quyet()  # -> cho-xet-lai
            m.ty_le_tan_thanh = 80
            m.bieu_quyet()  # -> chinh-thuc
            m.bat_dau_lai()  # back to du-bi
            steps += 4
            if steps >= a.steps:
                break
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - c0
    assert all(m.state in STATES for m in models)
    print(json.dumps({"steps": steps, "seconds": seconds, "stepsPerSecond": steps / seconds, "cpuSeconds": cpu,
                      "stepsPerCPUSecond": steps / cpu, "version": transitions.__version__}))


if __name__ == "__main__":
    main()
