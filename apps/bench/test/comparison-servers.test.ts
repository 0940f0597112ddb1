import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EtcdNotFoundError, etcdMemberArgs, findEtcd, natsKvServerArgs } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'flexpaxos-etcd-find-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('findEtcd', () => {
  it('finds an executable etcd in the given directories', () => {
    const bin = join(dir, 'etcd');
    writeFileSync(bin, '#!/bin/sh\n');
    chmodSync(bin, 0o755);
    expect(findEtcd({ bin: undefined, dirs: ['/nonexistent', dir] })).toBe(bin);
    expect(findEtcd({ bin, dirs: [] })).toBe(bin);
  });

  it('says how to install etcd when there is none, and refuses a missing ETCD_BIN', () => {
    expect(() => findEtcd({ bin: undefined, dirs: ['/nonexistent'] })).toThrow(EtcdNotFoundError);
    expect(() => findEtcd({ bin: undefined, dirs: ['/nonexistent'] })).toThrow(
      /etcd is not installed .*apt-get install -y etcd-server etcd-client/,
    );
    expect(() => findEtcd({ bin: '/nonexistent/etcd', dirs: [dir] })).toThrow(
      /etcd not found at ETCD_BIN=\/nonexistent\/etcd: install it with `apt-get install -y etcd-server etcd-client`/,
    );
  });
});

describe('etcdMemberArgs', () => {
  it('bootstraps member i of a static loopback cluster', () => {
    const args = etcdMemberArgs(2, [2001, 2002, 2003], [3001, 3002, 3003], '/d');
    const flag = (f: string): string | undefined => args[args.indexOf(f) + 1];
    expect(flag('--name')).toBe('m2');
    expect(flag('--data-dir')).toBe('/d/m2');
    expect(flag('--listen-client-urls')).toBe('http://127.0.0.1:2002');
    expect(flag('--initial-advertise-peer-urls')).toBe('http://127.0.0.1:3002');
    expect(flag('--initial-cluster')).toBe(
      'm1=http://127.0.0.1:3001,m2=http://127.0.0.1:3002,m3=http://127.0.0.1:3003',
    );
    expect(flag('--initial-cluster-state')).toBe('new');
  });
});

describe('natsKvServerArgs', () => {
  it('starts server i with JetStream in its own store, routed to the other servers', () => {
    const args = natsKvServerArgs(1, [4001, 4002, 4003], [5001, 5002, 5003], '/d');
    const flag = (f: string): string | undefined => args[args.indexOf(f) + 1];
    expect(args).toContain('-js');
    expect(flag('-sd')).toBe('/d/s1');
    expect(flag('-n')).toBe('bench-kv-1');
    expect(flag('-a')).toBe('127.0.0.1');
    expect(flag('-p')).toBe('4001');
    expect(flag('--cluster_name')).toBe('bench-kv');
    expect(flag('--cluster')).toBe('nats://127.0.0.1:5001');
    expect(flag('--routes')).toBe('nats://127.0.0.1:5002,nats://127.0.0.1:5003');
  });
});
