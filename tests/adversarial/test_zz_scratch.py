import dataclasses, json, os
from tests.adversarial.test_attacks import batch  # noqa
from tests.adversarial.attacks import ATTACKS

def test_dump(batch):
    out = {}
    for name, r in batch.records.items():
        out[name] = {"automatic": r.automatic, "status": r.status, "error": r.error,
                     "problems": list(r.problems),
                     "items": {k: [v.status, v.score, getattr(v, "message", None)] for k, v in r.items.items()}}
    open("/tmp/scratch/records.json", "w").write(json.dumps(out, indent=1, default=str))
    open("/tmp/scratch/meta.json", "w").write(json.dumps({"elapsed": batch.elapsed, "log": batch.log,
        "survivors": batch.survivors, "leftovers": batch.leftovers, "fifo": sorted(batch.fifo_readers),
        "changed": {k: str(v) for k, v in batch.changed.items()}, "udp": [d.decode() for d in batch.udp_datagrams],
        "tcp": batch.tcp_connections, "unix": batch.unix_connections, "ipc": batch.ipc_left,
        "outlist": sorted(os.listdir(batch.out))}, indent=1))
    import shutil; shutil.rmtree("/tmp/scratch/out", ignore_errors=True); shutil.copytree(batch.out, "/tmp/scratch/out")
