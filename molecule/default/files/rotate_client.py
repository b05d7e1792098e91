import os
import sys

import redis

port = int(sys.argv[1])
words = []
info = None
for name in ('old', 'new'):
    try:
        client = redis.Redis(host='127.0.0.1', port=port, password=os.environ['REDIS_%s_PW' % name.upper()],
                             socket_timeout=5, decode_responses=True)
        client.ping()
        words.append('%s=ok' % name)
        info = client.info('replication')
    except (redis.AuthenticationError, redis.ResponseError) as exc:
        # redis-py 4.3 (Debian 12) raises a plain ResponseError for WRONGPASS, newer ones AuthenticationError.
        if not isinstance(exc, redis.AuthenticationError) and not str(exc).startswith('WRONGPASS'):
            raise
        words.append('%s=refused' % name)
if info is not None and info.get('role') == 'slave':  # a Sentinel's INFO has no replication section
    words.append('link=%s' % info['master_link_status'])
print(' '.join(words))
