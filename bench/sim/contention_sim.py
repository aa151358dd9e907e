#!/usr/bin/env python3
"""A discrete-event model of independent Clients contending for one hot
resource, to compare contention policies without the noise of a shared
machine (BENCHMARKS.md, "Requests per success over a WAN").

The server processes each request D + 0.3 ms (client CPU) + an exponential
jitter (mean 0.5 ms, the timer and scheduling noise of a loaded machine)
after it is sent, and answers 0.3 ms later; a PUT commits when its version
is current. 16 writers loop over increments for 2 s (as an occbench cell);
"ratio" is commits per second times the limit loop's round trip.

Calibration: the current policy gives 0.84 / 12.4 requests / p99 0.57 s at
10 ms and 0.76 / 12.9 / 3.16 s at 50 ms, against 0.80 / 12.7 / 0.67 s and
0.80 / 13.4 / 3.13 s measured by occbench.

Usage (python3, standard library only):
    python3 contention_sim.py                 # the table in BENCHMARKS.md
    python3 contention_sim.py levels '{"burst":1,"ceil":8}' 6
"""
import heapq, itertools, json, random, sys


class Sim:
    def __init__(s): s.t=0.0; s.q=[]; s.c=itertools.count()
    def at(s, t, gen, val=None): heapq.heappush(s.q,(t,next(s.c),gen,val))
    def run(s):
        while s.q:
            t,_,g,v=heapq.heappop(s.q); s.t=t
            try: ev=g.send(v)
            except StopIteration: continue
            # ev: ('sleep', d) or ('req', kind, ver)
            if ev[0]=='sleep': s.at(t+ev[1], g)
            else: s.server_req(g, ev)

class World(Sim):
    """The server: one document whose version is a counter. A request sent
    at t is processed at t + D + eps + an exponential jitter of mean J, and
    answered eps later."""
    def __init__(s, D, eps=0.0003, J=0.0005):
        super().__init__(); s.D=D; s.J=J; s.eps=eps; s.ver=0; s.reqs={'GET':0,'PUT200':0,'PUT412':0}
    def server_req(s, g, ev):
        s.at(s.t + s.D + s.eps + random.expovariate(1/s.J), s._proc(g, ev), None)
    def _proc(s, g, ev):
        # a one-step process: processes the request and wakes its sender
        kind, ver = ev[1], ev[2]
        if kind=='GET':
            s.reqs['GET']+=1; res=s.ver
        elif ver==s.ver:
            s.ver+=1; s.reqs['PUT200']+=1; res=('ok',s.ver)
        else:
            s.reqs['PUT412']+=1; res=('stale',None)
        s.at(s.t+s.eps, g, res)
        return
        yield

def run(policy, N=16, D=0.010, T=2.0, seed=1):
    random.seed(seed)
    w=World(D)
    lat=[]; ends=[0.0]
    for i in range(N):
        cl=policy.client(w)
        w.at(0.0, writer(w, cl, T, lat, ends))
    w.run()
    el=max(ends); succ=len(lat)
    R=D+2*w.eps+w.J
    reqs=sum(w.reqs.values())
    lat.sort()
    p99=lat[max(0,min(len(lat)-1,int(0.99*len(lat)+0.5)-1))]
    return dict(ratio=succ/el*R, req=reqs/succ, p99=p99, mx=lat[-1], p50=lat[len(lat)//2], get=w.reqs['GET']/succ, put412=w.reqs['PUT412']/succ, n=succ)

def writer(w, cl, T, lat, ends):
    while w.t < T:
        st=w.t
        yield from cl.op()
        lat.append(w.t-st); ends[0]=max(ends[0], w.t)

# ---- levels: the current policy (contention.go) with its defaults, and
# candidates: bursts, a higher level, age thresholds ----
LEVELS_P = dict(solo=1e9, burst=0, burstabs=0.040, ceil=4, age=1.0, athr=0, afast=1.0, clo=0.5, chi=1.5, mem=100)
class LevelsHeat:
    def __init__(s): s.level=0; s.rtt=0; s.at=-1e9; s.exists=False; s.streak=None
class Levels:
    def __init__(s, w): s.w=w; s.h=LevelsHeat(); s.cached=None
    def recent(s): return s.h.exists and s.h.rtt>=0.001 and s.w.t - s.h.at < LEVELS_P['mem']*s.h.rtt
    def courtesy(s):
        h=s.h
        if not s.recent():
            if h.streak is not None and h.rtt>=0.001 and s.w.t-h.streak+h.rtt > LEVELS_P['solo']:
                h.streak=None
                return h.rtt*random.uniform(LEVELS_P['clo'], LEVELS_P['chi'])
            return 0
        if h.streak is not None and s.w.t-h.streak+h.rtt <= min(LEVELS_P['burst']*h.rtt, LEVELS_P['burstabs']): return 0
        h.streak=None
        return h.rtt*random.uniform(LEVELS_P['clo'], LEVELS_P['chi'])
    def conflicted(s, rounds, rtt, elapsed, d):
        h=s.h
        base=rtt
        if h.exists and h.rtt>0: base=min(rtt, h.rtt*1.125)
        slow=base>=0.001
        ceil=max(0.05, 32*rtt)
        if slow: ceil=LEVELS_P['ceil']*base
        lv=min(max(2*h.level, 0.001, 2*rtt), ceil)
        h.level=lv; h.rtt=base; h.at=s.w.t; h.exists=True; h.streak=None
        shift=0
        if rounds>8: shift=(rounds-8)//4
        if slow:
            if LEVELS_P['athr']>0:
                shift=0
                if elapsed>LEVELS_P['athr']*base: lv=LEVELS_P['afast']*base
            else:
                shift=max(shift, int(elapsed/(LEVELS_P['age']*lv)))
        lv=lv/(2**min(shift,16))
        return max(min(d,lv), lv/2+random.uniform(0,lv/2))
    def committed(s, rtt):
        h=s.h
        if h.rtt==0: h.rtt=rtt
        if h.streak is None: h.streak=s.w.t
        if h.exists:
            if h.streak is None: h.streak=s.w.t
            h.level/=2
            if h.level<0.001: h.level=0
            if h.level==0 and not s.recent(): h.exists=False
    def op(s):
        w=s.w; st=w.t
        c=s.courtesy()
        if c>0: yield ('sleep', c)
        if s.cached is None:
            s.cached = yield ('req','GET',None)
        rounds=0; bo=0.001
        while True:
            t0=w.t
            res = yield ('req','PUT',s.cached)
            rtt=w.t-t0; rounds+=1
            if res[0]=='ok':
                s.cached=res[1]; s.committed(rtt); return
            d=bo*random.uniform(0.5,1.5); bo=min(bo*2,0.1)
            wait=s.conflicted(rounds, rtt, w.t-st, d)
            yield ('sleep', wait)
            s.cached = yield ('req','GET',None)

# ---- turns: waiters silent until near their turn ----
TURNS_P = dict(solo=1e9, burst=2, burstabs=0.040, alpha=0.7, kfloor=8, slo=4, shi=8, flo=1.0, fhi=2.0, clo=0.5, chi=1.5, mem=100, ew=0.3)
class TurnsHeat:
    def __init__(s): s.rtt=0; s.at=-1e9; s.exists=False; s.streak=None; s.wait0=None; s.A=0
class Turns:
    def __init__(s, w): s.w=w; s.h=TurnsHeat(); s.cached=None
    def recent(s): return s.h.exists and s.h.rtt>=0.001 and s.w.t - s.h.at < TURNS_P['mem']*s.h.rtt
    def courtesy(s):
        h=s.h
        if not s.recent():
            if h.streak is not None and h.rtt>=0.001 and s.w.t-h.streak+h.rtt > TURNS_P['solo']:
                h.streak=None
                return h.rtt*random.uniform(TURNS_P['clo'], TURNS_P['chi'])
            return 0
        if h.streak is not None and s.w.t-h.streak+h.rtt <= min(TURNS_P['burst']*h.rtt, TURNS_P['burstabs']): return 0
        h.streak=None
        return h.rtt*random.uniform(TURNS_P['clo'], TURNS_P['chi'])
    def conflicted(s, rtt):
        h=s.h; now=s.w.t
        base=rtt
        if h.exists and h.rtt>0: base=min(rtt, h.rtt*1.125)
        h.rtt=base; h.at=now; h.exists=True; h.streak=None
        if h.wait0 is None: h.wait0=now
        age=now-h.wait0
        target=TURNS_P['alpha']*max(h.A, TURNS_P['kfloor']*base)
        if age < target:
            return min(base*random.uniform(TURNS_P['slo'],TURNS_P['shi']), (target-age)*random.uniform(1,1.2))
        return base*random.uniform(TURNS_P['flo'],TURNS_P['fhi'])
    def committed(s, rtt):
        h=s.h; now=s.w.t
        if h.rtt==0: h.rtt=rtt
        if h.streak is None: h.streak=now
        if h.wait0 is not None:
            d=now-h.wait0
            h.A = d if h.A==0 else (1-TURNS_P['ew'])*h.A + TURNS_P['ew']*d
            h.wait0=None
    def op(s):
        w=s.w
        c=s.courtesy()
        if c>0: yield ('sleep', c)
        if s.cached is None:
            s.cached = yield ('req','GET',None)
        while True:
            t0=w.t
            res = yield ('req','PUT',s.cached)
            rtt=w.t-t0
            if res[0]=='ok':
                s.cached=res[1]; s.committed(rtt); return
            wait=s.conflicted(rtt)
            yield ('sleep', wait)
            s.cached = yield ('req','GET',None)

# ---- slots: one write per learned period ----
# slot schedule per resource: each Client writes once per period P, learned by collisions
SLOTS_P = dict(a=0.3, b=0.03, p0=2.0, pmax=100, rephase='rand', prefetch=1, mem=20, jit=0.05)
class Slots:
    def __init__(s, w): s.w=w; s.cached=None; s.per=0.0; s.next=0.0; s.rtt=0.0; s.lastconf=-1e9
    def contended(s): return s.per>0 and s.w.t - s.lastconf < SLOTS_P['mem']*max(s.per, s.rtt)
    def op(s):
        w=s.w; st=w.t
        if s.contended():
            if s.next > w.t: yield ('sleep', s.next - w.t)
            if SLOTS_P['prefetch']: s.cached=None
        else:
            s.per=0
        while True:
            t_att=w.t
            if s.cached is None:
                s.cached = yield ('req','GET',None)
            t0=w.t
            res = yield ('req','PUT',s.cached)
            rtt=w.t-t0
            s.rtt = rtt if s.rtt==0 else min(rtt, s.rtt*1.125)
            if res[0]=='ok':
                s.cached=res[1]
                if s.per>0:
                    s.per*= (1-SLOTS_P['b'])
                    s.next = t_att + s.per*random.uniform(1-SLOTS_P['jit'],1+SLOTS_P['jit'])
                return
            s.cached=None
            s.lastconf=w.t
            if s.per==0: s.per=SLOTS_P['p0']*s.rtt
            else: s.per=min(s.per*(1+SLOTS_P['a']), SLOTS_P['pmax']*s.rtt)
            if SLOTS_P['rephase']=='rand': d=random.uniform(0, s.per)
            else: d=s.rtt*random.uniform(1,2)
            s.next = w.t + d
            yield ('sleep', d)

POLICIES = {"current": (Levels, LEVELS_P), "levels": (Levels, LEVELS_P), "turns": (Turns, TURNS_P), "slots": (Slots, SLOTS_P)}

# The candidates of BENCHMARKS.md: (label, policy, parameters).
TABLE = [
    ("current policy (level within 4 round trips, courtesy 1/2-3/2)", "current", {}),
    ("+ the holder keeps writing for 1 round trip, level within 8", "levels", {"burst": 1, "ceil": 8}),
    ("+ the holder keeps writing for 2 round trips, level within 16", "levels", {"burst": 2, "ceil": 16}),
    ("waiters silent until 0.85 x their last turn, then polling", "turns",
     {"burst": 1, "alpha": 0.85, "kfloor": 4, "slo": 8, "shi": 8, "flo": 0.5, "fhi": 3, "clo": 0.25, "chi": 1.0, "ew": 0.2}),
    ("a slot per Client, its period learned from collisions", "slots", {}),
]


class _Policy:
    """Adapts a policy class to run(): client(w) makes one Client."""
    def __init__(self, cls):
        self.client = cls


def evaluate(name, params, D, T=2.0, seeds=(1, 2, 3)):
    cls, P = POLICIES[name]
    defaults = dict(P)
    P.update(params)
    try:
        rs = [run(_Policy(cls), D=D, seed=s, T=T) for s in seeds]
    finally:
        P.clear()
        P.update(defaults)
    return {k: sorted(r[k] for r in rs)[len(rs) // 2] for k in rs[0]}


def main(argv):
    rows, T = TABLE, 2.0
    if len(argv) >= 2:
        rows = [("command line", argv[0], json.loads(argv[1]))]
        if len(argv) >= 3:
            T = float(argv[2])
    for label, name, params in rows:
        cells = []
        for D in (0.010, 0.050):
            v = evaluate(name, params, D, T)
            cells.append("%d ms: %.2f, %.1f req, p99 %.2f s" % (D * 1000, v["ratio"], v["req"], v["p99"]))
        print("| %s | %s |" % (label, " | ".join(cells)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
