import { expect } from 'chai';
import { startHarness, type Harness } from '../support/harness.js';
import { connect, ok, READ_TOOLS, WRITE_TOOLS, type Session } from './helpers.js';

const DESTRUCTIVE = [
  'update_contact',
  'delete_contact',
  'delete_contact_group',
  'remove_contacts_from_group',
  'merge_contacts',
];
const NOT_IDEMPOTENT = [
  'create_contact',
  'create_contact_group',
  'save_other_contact',
  'create_contacts',
  'restore_contacts',
];

type JsonSchema = {
  type?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  required?: string[];
};

/** Every property at any depth must carry a description a model can follow. */
function undescribed(schema: JsonSchema, path: string): string[] {
  const out: string[] = [];
  for (const [name, prop] of Object.entries(schema.properties ?? {})) {
    const p = `${path}.${name}`;
    const described = prop.description ?? prop.anyOf?.find((a) => a.description)?.description;
    if (!described || described.length < 8) out.push(p);
    for (const variant of [prop, ...(prop.anyOf ?? [])]) {
      out.push(...undescribed(variant, p));
      if (variant.items) out.push(...undescribed(variant.items, `${p}[]`));
    }
  }
  return out;
}

describe('mcp tools: tools/list', function () {
  let h: Harness;
  let s: Session;
  before(async () => {
    h = await startHarness();
    s = await connect(h);
  });
  after(async () => {
    await s?.close();
    await h?.close();
  });

  it('lists exactly the issue’s tools (plus whoami), with titles, descriptions and both schemas', async () => {
    const { tools } = await s.client.listTools();
    expect(tools.map((t) => t.name).sort()).to.deep.equal([...READ_TOOLS, ...WRITE_TOOLS].sort());
    for (const t of tools) {
      expect(t.title, t.name).to.be.a('string').and.not.empty;
      expect(t.description, t.name).to.be.a('string').with.length.above(60);
      expect(t.inputSchema.type, t.name).to.equal('object');
      expect(t.outputSchema?.type, `${t.name} outputSchema`).to.equal('object');
      expect(
        undescribed(t.inputSchema as JsonSchema, t.name),
        `${t.name}: input fields without a description`,
      ).to.deep.equal([]);
      expect(
        undescribed(t.outputSchema as JsonSchema, `${t.name}(out)`),
        `${t.name}: output fields without a description`,
      ).to.deep.equal([]);
    }
  });

  it('sets every annotation, truthfully', async () => {
    const { tools } = await s.client.listTools();
    for (const t of tools) {
      const a = t.annotations ?? {};
      for (const hint of ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const)
        expect(a[hint], `${t.name}.${hint}`).to.be.a('boolean');
      expect(a.readOnlyHint, `${t.name}.readOnlyHint`).to.equal(READ_TOOLS.includes(t.name));
      expect(a.destructiveHint, `${t.name}.destructiveHint`).to.equal(DESTRUCTIVE.includes(t.name));
      expect(a.idempotentHint, `${t.name}.idempotentHint`).to.equal(!NOT_IDEMPOTENT.includes(t.name));
      expect(a.openWorldHint, `${t.name}.openWorldHint`).to.equal(false);
    }
  });

  it('tells the model to confirm before deleting', async () => {
    const { tools } = await s.client.listTools();
    for (const name of ['delete_contact', 'delete_contact_group', 'merge_contacts']) {
      expect(tools.find((t) => t.name === name)?.description).to.match(/confirm/i);
    }
  });

  it('paginates every list tool with an opaque cursor', async () => {
    const { tools } = await s.client.listTools();
    for (const name of ['list_contacts', 'list_contact_groups', 'search_directory', 'list_deleted_contacts']) {
      const t = tools.find((x) => x.name === name)!;
      expect(Object.keys((t.inputSchema as JsonSchema).properties ?? {}), name).to.include('cursor');
      expect(Object.keys((t.outputSchema as JsonSchema).properties ?? {}), name).to.include('nextCursor');
    }
    // The searches Google cannot page are capped instead (at most 30 results).
    for (const name of ['search_contacts', 'search_other_contacts']) {
      const t = tools.find((x) => x.name === name)!;
      expect(
        (t.inputSchema as { properties: Record<string, { maximum?: number }> }).properties.maxResults?.maximum,
        name,
      ).to.equal(30);
    }
  });

  it('serves the same tools to a client speaking the 2026-07-28 revision', async () => {
    const modern = await connect(h, 'alice@example.com', { modern: true });
    try {
      expect(modern.client.getNegotiatedProtocolVersion()).to.equal('2026-07-28');
      const { tools } = await modern.client.listTools();
      expect(tools.map((t) => t.name).sort()).to.deep.equal([...READ_TOOLS, ...WRITE_TOOLS].sort());
      const r = await ok<{ contacts: Array<{ name: string }> }>(modern, 'search_contacts', { query: 'frank' });
      expect(r.structured.contacts.map((c) => c.name)).to.deep.equal(['Frank Li']);
    } finally {
      await modern.close();
    }
  });
});
