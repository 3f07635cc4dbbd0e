/**
 * The Kubernetes DNS-Based Service Discovery specification 1.1.0 as record lists: what one
 * Service (with its EndpointSlices) and the zone apex contribute to the RecordStore.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { Rec } from '../answers/record-store.js';
import { RRType } from '../wire/constants.js';
import type { SoaData } from '../wire/message.js';
import { dashedIP, reverseName } from '../wire/ip.js';
import type { ServiceView, SliceView } from './views.js';

export const DNS_SCHEMA_VERSION = '1.1.0';
/** CoreDNS serves dns-version with this TTL. */
export const DNS_VERSION_TTL = 28800;

export interface OwnerRecords {
  records: Rec[];
  emptyNames: string[];
}

export function serviceFqdn(namespace: string, name: string, zone: string): string {
  return `${name}.${namespace}.svc.${zone}`.toLowerCase();
}

function addressRecord(name: string, ip: string, ttl: number): Rec {
  return { name, type: isIPv4(ip) ? RRType.A : RRType.AAAA, ttl, data: ip };
}

/** A DNS label is 1..63 bytes; names built from user data that do not fit are skipped. */
function fits(name: string): boolean {
  if (name.length > 253) return false;
  for (const l of name.split('.')) if (l.length === 0 || l.length > 63) return false;
  return true;
}

export function serviceRecords(svc: ServiceView, slices: Iterable<SliceView>, zone: string, ttl: number): OwnerRecords {
  const fqdn = serviceFqdn(svc.namespace, svc.name, zone);
  const records: Rec[] = [];
  const emptyNames: string[] = [];
  if (!fits(fqdn)) return { records, emptyNames };
  switch (svc.kind) {
    case 'external': {
      const target = svc.externalName;
      // An IP-valued externalName gets no record: the name exists (NODATA), nothing more.
      if (!target || isIPv4(target) || isIPv6(target)) emptyNames.push(fqdn);
      else records.push({ name: fqdn, type: RRType.CNAME, ttl, data: target });
      return { records, emptyNames };
    }
    case 'clusterip': {
      for (const ip of svc.ips) {
        records.push(addressRecord(fqdn, ip, ttl));
        const rev = reverseName(ip);
        if (rev) records.push({ name: rev, type: RRType.PTR, ttl, data: fqdn });
      }
      if (svc.ips.length === 0) emptyNames.push(fqdn);
      for (const p of svc.ports) {
        const srvName = `_${p.name}._${p.protocol}.${fqdn}`;
        if (!fits(srvName)) continue;
        records.push({ name: srvName, type: RRType.SRV, ttl, data: { priority: 0, weight: 100, port: p.port, target: fqdn } });
        emptyNames.push(`_${p.protocol}.${fqdn}`);
      }
      return { records, emptyNames };
    }
    case 'headless': {
      const seenAddress = new Set<string>();
      const srv = new Map<string, { port: number; target: string }[]>();
      for (const slice of slices) {
        for (const ep of slice.endpoints) {
          if (!ep.ready && !svc.publishNotReadyAddresses) continue;
          for (const ip of ep.addresses) {
            const host = `${ep.hostname ?? dashedIP(ip)}.${fqdn}`;
            if (!fits(host)) continue;
            const key = `${host}|${ip}`;
            if (seenAddress.has(key)) continue;
            seenAddress.add(key);
            records.push(addressRecord(fqdn, ip, ttl), addressRecord(host, ip, ttl));
            const rev = reverseName(ip);
            if (rev) records.push({ name: rev, type: RRType.PTR, ttl, data: host });
            for (const p of slice.ports) {
              const srvName = `_${p.name}._${p.protocol}.${fqdn}`;
              if (!fits(srvName)) continue;
              let list = srv.get(srvName);
              if (!list) srv.set(srvName, (list = []));
              if (!list.some((e) => e.target === host && e.port === p.port)) list.push({ port: p.port, target: host });
              emptyNames.push(`_${p.protocol}.${fqdn}`);
            }
          }
        }
      }
      // Duplicate A records at the service name when one IP appears under two hostnames.
      const seenSvcIP = new Set<string>();
      const deduped = records.filter((r) => {
        if (r.name !== fqdn) return true;
        const k = r.data as string;
        if (seenSvcIP.has(k)) return false;
        seenSvcIP.add(k);
        return true;
      });
      for (const [name, list] of srv) {
        const weight = Math.max(1, Math.floor(100 / list.length));
        for (const e of list) deduped.push({ name, type: RRType.SRV, ttl, data: { priority: 0, weight, port: e.port, target: e.target } });
      }
      // No ready endpoint: the Service has no records at all, so its name is NXDOMAIN.
      return { records: deduped, emptyNames: deduped.length > 0 ? emptyNames : [] };
    }
  }
}

export function soaData(zone: string, ttl: number, serial: number): SoaData {
  return { mname: `ns.dns.${zone}`, rname: `hostmaster.${zone}`, serial, refresh: 7200, retry: 1800, expire: 86400, minimum: ttl };
}

export function soaTtl(ttl: number): number {
  return Math.min(ttl, 300);
}

/** Apex SOA + NS, dns-version, ns.dns (the DNS Service's IPs), and the svc/pod/dns empty names. */
export function apexRecords(zone: string, ttl: number, serial: number, dnsServiceIPs: readonly string[]): OwnerRecords {
  const ns = `ns.dns.${zone}`;
  const records: Rec[] = [
    { name: zone, type: RRType.SOA, ttl: soaTtl(ttl), data: soaData(zone, ttl, serial) },
    { name: zone, type: RRType.NS, ttl, data: ns },
    { name: `dns-version.${zone}`, type: RRType.TXT, ttl: DNS_VERSION_TTL, data: [DNS_SCHEMA_VERSION] },
  ];
  for (const ip of dnsServiceIPs) records.push(addressRecord(ns, ip, ttl));
  return { records, emptyNames: [`svc.${zone}`, `pod.${zone}`, `dns.${zone}`, ns] };
}
