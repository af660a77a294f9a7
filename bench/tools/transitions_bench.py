#!/usr/bin/env python3
"""The in-memory baseline of issue 7: PyPI `transitions` stepping dang-vien-du-bi's state machine.

States and events are those of Workflows/dang-vien-du-bi.yaml: the timed end of probation (du-bi -> cho-xet, here an
explicit trigger, since transitions has no clock), bieu-quyet with the two-thirds guard (>= 67 % to cho-quyet-dinh,
where the chi bộ's proposal waits for the committee's decision, else cho-xet-lai), the proposal to strike off and the
decisions cong-nhan and xoa-ten with their guards on ly_do. Each model runs the life cycle het-du-bi, bieu-quyet (fails),
bieu-quyet (passes), cong-nhan, then is put back in du-bi to start again: five steps, three of them guarded. Prints one JSON object: steps, seconds, stepsPerSecond, version.
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


STATES = ["du-bi", "cho-xet", "cho-xet-lai", "cho-quyet-dinh", "cho-quyet-dinh-xoa-ten", "chinh-thuc", "xoa-ten"]
PENDING = ["cho-xet", "cho-xet-lai", "cho-quyet-dinh", "cho-quyet-dinh-xoa-ten"]
TRANSITIONS = [
    {"trigger": "het_du_bi", "source": "du-bi", "dest": "cho-xet"},
    {"trigger": "bieu_quyet", "source": "cho-xet", "dest": "cho-quyet-dinh", "conditions": "du_nguong"},
    {"trigger": "bieu_quyet", "source": "cho-xet", "dest": "cho-xet-lai"},
    {"trigger": "bieu_quyet", "source": "cho-xet-lai", "dest": "cho-quyet-dinh", "conditions": "du_nguong"},
    {"trigger": "bieu_quyet", "source": "cho-xet-lai", "dest": "cho-xet-lai"},
    {"trigger": "de_nghi_xoa_ten", "source": ["cho-xet", "cho-xet-lai"], "dest": "cho-quyet-dinh-xoa-ten",
     "conditions": "co_ly_do"},
    {"trigger": "cong_nhan", "source": PENDING, "dest": "chinh-thuc"},
    {"trigger": "xoa_ten", "source": PENDING, "dest": "xoa-ten", "conditions": "co_ly_do"},
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
            m.bieu_quyet()  # -> cho-quyet-dinh
            m.cong_nhan()  # -> chinh-thuc
            m.bat_dau_lai()  # back to du-bi
            steps += 5
            if steps >= a.steps:
                break
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - c0
    assert all(m.state in STATES for m in models)
    print(json.dumps({"steps": steps, "seconds": seconds, "stepsPerSecond": steps / seconds, "cpuSeconds": cpu,
                      "stepsPerCPUSecond": steps / cpu, "version": transitions.__version__}))


if __name__ == "__main__":
    main()
