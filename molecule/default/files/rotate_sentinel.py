import os
import sys

import redis

sentinel = redis.Redis(host='127.0.0.1', port=int(sys.argv[1]), password=os.environ['REDIS_SENTINEL_PW'],
                       socket_timeout=5, decode_responses=True)
master = sentinel.sentinel_master('mymaster')
replicas = sentinel.sentinel_slaves('mymaster')
# The other Sentinels too: one that cannot log in to a peer (sentinel-pass) sees it down.
peers = sentinel.sentinel_sentinels('mymaster')
flags = [('mymaster', master['flags'])] + [('%s:%s' % (r['ip'], r['port']), r['flags']) for r in replicas + peers]
down = ['%s %s' % (name, ','.join(sorted(f))) if isinstance(f, (set, list)) else '%s %s' % (name, f)
        for name, f in flags if any(word in str(f) for word in ('s_down', 'o_down', 'disconnected'))]
print('down=%s' % (', '.join(down) if down else 'none'))
