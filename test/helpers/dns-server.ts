import dns2 from 'dns2';

const { Packet } = dns2;

export interface SrvAnswer {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

/** What one name answers; a function is called for each query (answers that change). */
export interface DnsRecords {
  A?: string[] | (() => string[]);
  AAAA?: string[] | (() => string[]);
  SRV?: SrvAnswer[];
}

export interface TestDnsServer {
  /** `127.0.0.1:PORT`, for `dnsServers` options and Resolver.setServers. */
  address: string;
  /** Sets (replaces) the records of `name`; names without records answer NXDOMAIN. */
  set(name: string, records: DnsRecords): void;
  /** Every question received, as `TYPE name`, oldest first. */
  queries: string[];
  close(): Promise<void>;
}

const TYPE_NAMES: Record<number, string> = {
  [Packet.TYPE.A]: 'A',
  [Packet.TYPE.AAAA]: 'AAAA',
  [Packet.TYPE.SRV]: 'SRV',
};

/**
 * A real DNS server (UDP, dns2) on 127.0.0.1 and a free port, answering A, AAAA and SRV
 * records from a table the test fills. Unknown names get NXDOMAIN; a known name without
 * the asked type gets an empty NOERROR answer (the resolver's ENODATA).
 */
export async function startDnsServer(): Promise<TestDnsServer> {
  const table = new Map<string, DnsRecords>();
  const queries: string[] = [];
  const server = dns2.createServer({
    udp: true,
    handle: (request, send) => {
      const response = Packet.createResponseFromRequest(request);
      const question = request.questions[0];
      if (!question) return void send(response);
      const name = question.name.toLowerCase().replace(/\.$/, '');
      const type = TYPE_NAMES[question.type] ?? String(question.type);
      queries.push(`${type} ${name}`);
      const records = table.get(name);
      if (!records) {
        response.header.rcode = 3; // NXDOMAIN
        return void send(response);
      }
      const list = <T>(v: T[] | (() => T[]) | undefined): T[] =>
        typeof v === 'function' ? v() : (v ?? []);
      const answer = (r: Partial<dns2.Packet.Resource>) =>
        response.answers.push(Packet.createResourceFromQuestion(question, { ttl: 1, ...r }));
      if (type === 'A') {
        for (const address of list(records.A)) {
          answer({ type: Packet.TYPE.A, address });
        }
      } else if (type === 'AAAA') {
        for (const address of list(records.AAAA)) {
          answer({ type: Packet.TYPE.AAAA, address });
        }
      } else if (type === 'SRV') {
        for (const srv of records.SRV ?? []) {
          answer({ type: Packet.TYPE.SRV, ...srv });
        }
      }
      void send(response);
    },
  });
  const addrs = await server.listen({ udp: { port: 0, address: '127.0.0.1' } });
  return {
    address: `127.0.0.1:${addrs.udp!.port}`,
    set: (name, records) => table.set(name.toLowerCase(), records),
    queries,
    close: () => server.close(),
  };
}
