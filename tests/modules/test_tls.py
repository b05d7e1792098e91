# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The modules' TLS options against a real redis-server that serves TLS only and requires client certificates.

Certificates are made with the openssl command line for each test session: a CA, a server certificate for
127.0.0.1/localhost, a client certificate, and a client certificate from a second CA that must be refused.
"""

from __future__ import annotations

import os
import subprocess

import pytest
import redis
from harness import PASSWORD, Instance, conn, free_port, overridden


def openssl(*args: str, cwd: str) -> None:
    subprocess.run(['openssl', *args], cwd=cwd, check=True, capture_output=True)


def make_ca(directory: str, name: str) -> None:
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
            '-subj', '/CN=redis-ops test %s' % name, '-addext', 'basicConstraints=critical,CA:TRUE',
            '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-keyout', name + '.key', '-out', name + '.crt',
            cwd=directory)


def make_cert(directory: str, name: str, ca: str) -> None:
    with open(os.path.join(directory, name + '.ext'), 'w', encoding='utf-8') as handle:
        # Python 3.13 verifies strictly (VERIFY_X509_STRICT): key identifiers and usages must be there.
        handle.write('subjectAltName=DNS:localhost,IP:127.0.0.1\nsubjectKeyIdentifier=hash\n'
                     'authorityKeyIdentifier=keyid,issuer\nkeyUsage=critical,digitalSignature,keyEncipherment\n'
                     'extendedKeyUsage=serverAuth,clientAuth\n')
    openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=' + name,
            '-keyout', name + '.key', '-out', name + '.csr', cwd=directory)
    openssl('x509', '-req', '-in', name + '.csr', '-CA', ca + '.crt', '-CAkey', ca + '.key', '-CAcreateserial',
            '-days', '2', '-extfile', name + '.ext', '-out', name + '.crt', cwd=directory)


@pytest.fixture(scope='module')
def pki(tmp_path_factory) -> str:
    directory = str(tmp_path_factory.mktemp('pki'))
    make_ca(directory, 'ca')
    make_ca(directory, 'rogue-ca')
    make_cert(directory, 'server', 'ca')
    make_cert(directory, 'client', 'ca')
    make_cert(directory, 'rogue-client', 'rogue-ca')
    return directory


class TlsInstance(Instance):
    """A redis-server with `port 0` and a TLS port that requires client certificates."""

    def __init__(self, workdir: str, pki_dir: str) -> None:
        self.pki = pki_dir
        lines = ['port 0', 'save ""', 'appendonly no', 'requirepass %s' % PASSWORD,
                 'tls-cert-file %s/server.crt' % pki_dir, 'tls-key-file %s/server.key' % pki_dir,
                 'tls-ca-cert-file %s/ca.crt' % pki_dir, 'tls-auth-clients yes']
        port = free_port()
        super().__init__(workdir, 'redis', port, lines, PASSWORD)
        self.lines.append('tls-port %d' % port)

    def client(self, **kwargs) -> redis.Redis:
        kwargs.setdefault('socket_timeout', 5)
        return redis.Redis(host='127.0.0.1', port=self.port, password=self.password, decode_responses=True,
                           ssl=True, ssl_ca_certs=self.pki + '/ca.crt', ssl_certfile=self.pki + '/client.crt',
                           ssl_keyfile=self.pki + '/client.key', **kwargs)


@pytest.fixture
def tls_server(fleet, pki):
    instance = TlsInstance(fleet.workdir, pki)
    fleet.instances.append(instance)
    return instance.start()


def tls_conn(instance, pki_dir: str, **extra) -> dict:
    return conn(instance, tls=True, ca_certs=pki_dir + '/ca.crt', client_cert_file=pki_dir + '/client.crt',
                client_key_file=pki_dir + '/client.key', **extra)


def test_modules_work_over_tls_with_a_client_certificate(tls_server, pki, run_module, tmp_path):
    facts = run_module('replication_facts', tls_conn(tls_server, pki))
    assert not facts.failed, facts.result
    assert facts['ansible_facts']['redis_replication']['role'] == 'primary'
    # The name checked is login_host's: the certificate names 127.0.0.1 and localhost.
    by_name = run_module('replication_facts', tls_conn(tls_server, pki, login_host='localhost'))
    assert not by_name.failed, by_name.result
    changed = run_module('config_file', dict(tls_conn(tls_server, pki), path=tls_server.config_path,
                                             content='maxmemory-policy allkeys-lru\n', strategy='merge',
                                             apply_live=True))
    assert not changed.failed, changed.result
    assert tls_server.client().config_get('maxmemory-policy')['maxmemory-policy'] == 'allkeys-lru'
    # backup.yml's snapshot over TLS: BGSAVE, its wait and the manifest all go through the TLS connection.
    tls_server.client().set('over', 'tls')
    backup = run_module('rdb_backup', dict(tls_conn(tls_server, pki), dest=str(tmp_path / 'tls.rdb')))
    assert not backup.failed and backup['commands'] == ['BGSAVE'], backup.result
    assert backup['manifest']['keys_read'] == 1 and backup['manifest']['role'] == 'primary'


@pytest.mark.parametrize('change, words', [
    (dict(tls=False, ca_certs=None, client_cert_file=None, client_key_file=None), ['cannot connect to 127.0.0.1']),
    (dict(client_cert_file=None, client_key_file=None), ['the TLS connection to 127.0.0.1', 'client certificate']),
    (dict(client_cert_file='{pki}/rogue-client.crt', client_key_file='{pki}/rogue-client.key'),
     ['the TLS connection to 127.0.0.1']),
    (dict(ca_certs='{pki}/rogue-ca.crt'), ['the TLS connection to 127.0.0.1', 'ca_certs']),
    (dict(ca_certs='{pki}/no-such-ca.crt'), ['ca_certs is', 'no-such-ca.crt', 'not a readable file']),
    (dict(client_key_file=None), ['client_cert_file', 'client_key_file']),
    (dict(tls=False), ['ca_certs is only used with tls=true']),
])
def test_wrong_tls_settings_fail_with_a_message_that_says_what_to_fix(tls_server, pki, run_module, change, words):
    change = {key: value.format(pki=pki) if isinstance(value, str) else value for key, value in change.items()}
    run = run_module('replication_facts', overridden(tls_conn(tls_server, pki), change))
    assert run.failed, run.result
    assert all(word in run['msg'] for word in words), run['msg']


def test_validate_certs_false_accepts_a_server_certificate_no_given_ca_signed(tls_server, pki, run_module):
    # ca_certs is a CA that did not sign the server's certificate: refused above, accepted without validation.
    options = dict(tls_conn(tls_server, pki), ca_certs=pki + '/rogue-ca.crt', validate_certs=False)
    run = run_module('replication_facts', options)
    assert not run.failed, run.result
    assert run['ansible_facts']['redis_replication']['role'] == 'primary'
