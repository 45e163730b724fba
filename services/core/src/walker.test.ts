import type { FieldRule, MessageCatalog } from './catalog/types';
import { applicableRule, compileMessage, project, valueAt, walk } from './walker';

function message(fields: FieldRule[]): MessageCatalog {
  return { key: 'ocpp1.6:Test:req', source: 'ocpp1.6', message: 'Test', direction: 'req', eventType: 'METER_VALUES', fields };
}

/** Every visit as [path, class, value]: what the walker hands to the audiences. */
function visits(entry: MessageCatalog, payload: Record<string, unknown>) {
  const seen: Array<[string, string, unknown]> = [];
  const unknown = walk(compileMessage(entry), payload, {
    leaf: (rule, value) => seen.push([rule.path, rule.note ?? rule.class, value]),
  });
  return { seen, unknown };
}

// The shape of the OCPP 1.6 MeterValues sampledValue rows (catalog/ocpp16.ts), reduced to what the walker reads.
const SAMPLED: FieldRule[] = [
  { path: 'meterValue[].timestamp', class: 'quasi', field: 'eventTime' },
  { path: 'meterValue[].sampledValue[].value', class: 'embedded', when: { sibling: 'format', equals: 'SignedData' }, note: 'signed' },
  {
    path: 'meterValue[].sampledValue[].value',
    class: 'quasi',
    field: 'meterWh',
    when: { sibling: 'measurand', equals: 'Energy.Active.Import.Register', orAbsent: true },
    note: 'energy',
  },
  { path: 'meterValue[].sampledValue[].value', class: 'quasi', when: { sibling: 'measurand', equals: 'SoC' }, note: 'soc' },
  { path: 'meterValue[].sampledValue[].value', class: 'operational', note: 'other' },
  { path: 'meterValue[].sampledValue[].measurand', class: 'operational', note: 'measurand' },
  { path: 'meterValue[].sampledValue[].format', class: 'operational', note: 'format' },
];

describe('compileMessage', () => {
  it('builds one property tree per message: objects by name, array items under `items`, rows in catalog order', () => {
    const compiled = compileMessage(message(SAMPLED));
    const meterValue = compiled.root.props.get('meterValue')!;
    expect(meterValue.rules).toBeUndefined();
    const item = meterValue.items!;
    expect([...item.props.keys()]).toEqual(['timestamp', 'sampledValue']);
    const value = item.props.get('sampledValue')!.items!.props.get('value')!;
    expect(value.rules!.map((r) => r.note)).toEqual(['signed', 'energy', 'soc', 'other']);
  });

  it('compiles a path of scalars in an array (`evseId[]`) to rules on the items', () => {
    const compiled = compileMessage(message([{ path: 'idTokenInfo.evseId[]', class: 'operational' }]));
    const evseId = compiled.root.props.get('idTokenInfo')!.props.get('evseId')!;
    expect(evseId.rules).toBeUndefined();
    expect(evseId.items!.rules).toHaveLength(1);
  });
});

describe('applicableRule: the first row whose `when` holds wins', () => {
  const rows = SAMPLED.filter((r) => r.path.endsWith('.value'));
  const note = (parent: Record<string, unknown>) => applicableRule(rows, parent)?.note;

  it.each([
    [{ format: 'SignedData', measurand: 'SoC' }, 'signed'],
    [{ format: 'SignedData' }, 'signed'],
    [{}, 'energy'],
    [{ measurand: 'Energy.Active.Import.Register' }, 'energy'],
    [{ format: 'Raw' }, 'energy'],
    [{ measurand: 'SoC' }, 'soc'],
    [{ measurand: 'Voltage' }, 'other'],
  ])('siblings %j → %s', (parent, expected) => {
    expect(note(parent)).toBe(expected);
  });

  it('compares strictly: 1 is not "1", and null is not absent', () => {
    const strict: FieldRule[] = [
      { path: 'v', class: 'embedded', when: { sibling: 'n', equals: 1 }, note: 'one' },
      { path: 'v', class: 'quasi', when: { sibling: 'm', equals: 'x', orAbsent: true }, note: 'absent' },
    ];
    expect(applicableRule(strict, { n: 1 })?.note).toBe('one');
    expect(applicableRule(strict, { n: '1' })?.note).toBe('absent');
    expect(applicableRule(strict, { n: '1', m: null })).toBeUndefined();
  });

  it('returns undefined when only conditional rows exist and none holds', () => {
    expect(applicableRule(rows.slice(0, 1), { format: 'Raw' })).toBeUndefined();
  });
});

describe('walk', () => {
  it('visits every catalogued value of arrays of objects, each with the rule its own siblings select', () => {
    const { seen, unknown } = visits(message(SAMPLED), {
      meterValue: [
        {
          timestamp: '2026-11-24T10:00:00Z',
          sampledValue: [{ value: '1200' }, { value: '67', measurand: 'SoC' }, { value: 'OCMF|{}', format: 'SignedData' }],
        },
        { timestamp: '2026-11-24T10:01:00Z', sampledValue: [{ value: '230', measurand: 'Voltage' }] },
      ],
    });
    expect(unknown).toBe(0);
    expect(seen).toEqual([
      ['meterValue[].timestamp', 'quasi', '2026-11-24T10:00:00Z'],
      ['meterValue[].sampledValue[].value', 'energy', '1200'],
      ['meterValue[].sampledValue[].value', 'soc', '67'],
      ['meterValue[].sampledValue[].measurand', 'measurand', 'SoC'],
      ['meterValue[].sampledValue[].value', 'signed', 'OCMF|{}'],
      ['meterValue[].sampledValue[].format', 'format', 'SignedData'],
      ['meterValue[].timestamp', 'quasi', '2026-11-24T10:01:00Z'],
      ['meterValue[].sampledValue[].value', 'other', '230'],
      ['meterValue[].sampledValue[].measurand', 'measurand', 'Voltage'],
    ]);
  });

  it('visits each element of an array of scalars, with the object holding the array as parent', () => {
    const entry = message([
      { path: 'tags[]', class: 'operational', when: { sibling: 'kind', equals: 'public' }, note: 'public' },
      { path: 'tags[]', class: 'freetext', note: 'private' },
      { path: 'kind', class: 'operational' },
    ]);
    const parents: unknown[] = [];
    walk(compileMessage(entry), { tags: ['a', 'b'], kind: 'public' }, { leaf: (rule, _v, parent) => rule.path === 'tags[]' && parents.push(parent) });
    expect(parents).toEqual([
      { tags: ['a', 'b'], kind: 'public' },
      { tags: ['a', 'b'], kind: 'public' },
    ]);
    expect(visits(entry, { tags: ['a', 'b'], kind: 'private' }).seen).toEqual([
      ['tags[]', 'private', 'a'],
      ['tags[]', 'private', 'b'],
      ['kind', 'operational', 'private'],
    ]);
  });

  it('counts unknown properties and never visits them; customData counts once per object whatever it holds', () => {
    const entry = message([
      { path: 'idToken.idToken', class: 'direct', kind: 'idToken.type' },
      { path: 'idToken.type', class: 'operational' },
    ]);
    const { seen, unknown } = visits(entry, {
      customData: { vendorId: 'acme', driverName: 'Jane Doe', card: { uid: '04A2B3' } },
      idToken: { idToken: 'AABBCCDD', type: 'ISO14443', customData: { vendorId: 'acme', homeAddress: 'Main St 1' }, extra: 1 },
      x_vendor: [1, 2, 3],
    });
    expect(unknown).toBe(4);
    expect(seen).toEqual([
      ['idToken.idToken', 'direct', 'AABBCCDD'],
      ['idToken.type', 'operational', 'ISO14443'],
    ]);
  });

  it('counts a value of the wrong shape as unknown: a scalar where an object is catalogued, an array without item rows', () => {
    const entry = message([
      { path: 'evse.id', class: 'operational' },
      { path: 'meterValue[].timestamp', class: 'quasi' },
    ]);
    expect(visits(entry, { evse: 'EVSE-1', meterValue: ['x', { timestamp: 't' }] })).toEqual({
      seen: [['meterValue[].timestamp', 'quasi', 't']],
      unknown: 2,
    });
    expect(visits(entry, { evse: [{ id: 1 }] }).unknown).toBe(1);
  });

  it('skips null values without counting them', () => {
    const entry = message([{ path: 'evse.id', class: 'operational' }]);
    expect(visits(entry, { evse: null })).toEqual({ seen: [], unknown: 0 });
    expect(visits(entry, { evse: { id: null } })).toEqual({ seen: [], unknown: 0 });
  });

  it('hands a row on an object path the value whole, without looking inside (DataTransfer.data)', () => {
    const entry = message([{ path: 'data', class: 'freetext' }]);
    expect(visits(entry, { data: { a: { b: 1 }, c: [2] } })).toEqual({ seen: [['data', 'freetext', { a: { b: 1 }, c: [2] }]], unknown: 0 });
  });

  it('treats JSON keys that look like Object.prototype members as unknown properties', () => {
    const entry = message([{ path: 'idTag', class: 'direct', kind: 'idTag' }]);
    const payload = JSON.parse('{"__proto__": {"idTag": "X"}, "constructor": 1, "idTag": "AABBCCDD"}') as Record<string, unknown>;
    expect(visits(entry, payload)).toEqual({ seen: [['idTag', 'direct', 'AABBCCDD']], unknown: 2 });
  });
});

describe('valueAt', () => {
  it('reads a dotted path of plain properties and stops at anything else', () => {
    expect(valueAt({ a: { b: true } }, 'a.b')).toBe(true);
    expect(valueAt({ a: [{ b: true }] }, 'a.b')).toBeUndefined();
    expect(valueAt({ a: 'x' }, 'a.b')).toBeUndefined();
  });
});

describe('project', () => {
  const CDR: FieldRule[] = [
    { path: 'id', class: 'link' },
    { path: 'cdr_token.uid', class: 'direct', kind: 'uid' },
    { path: 'cdr_token.party_id', class: 'operational' },
    { path: 'remark', class: 'freetext' },
    { path: 'signed_data.public_key', class: 'direct', kind: 'device' },
    { path: 'signed_data.signed_values[].plain_data', class: 'embedded' },
    { path: 'signed_data.signed_values[].nature', class: 'operational' },
    { path: 'charging_periods[].dimensions[].volume', class: 'quasi', when: { sibling: 'type', equals: 'STATE_OF_CHARGE' } },
    { path: 'charging_periods[].dimensions[].volume', class: 'operational' },
    { path: 'charging_periods[].dimensions[].type', class: 'operational' },
    { path: 'tags[]', class: 'freetext' },
  ];
  const compiled = compileMessage({ key: 'ocpi2.2.1:cdrs', source: 'ocpi2.2.1', message: 'cdrs', fields: CDR });
  const input = {
    id: 'CDR-1',
    cdr_token: { uid: '04A2B3', party_id: 'TNM', x_internal: 'crm-42' },
    remark: 'called driver Jane',
    signed_data: { public_key: 'MIIB…', signed_values: [{ nature: 'Start', plain_data: 'OCMF|{…}' }] },
    charging_periods: [
      {
        dimensions: [
          { type: 'STATE_OF_CHARGE', volume: 67 },
          { type: 'ENERGY', volume: 12.5 },
        ],
      },
    ],
    tags: ['a', 'b'],
    x_margin: 0.3,
  };

  it('keeps the shape, nested objects and arrays included, and drops refused leaves and unknown properties', () => {
    const keepOnlyOperational = (rule: FieldRule) => rule.class === 'operational' || rule.class === 'link';
    const { object, dropped } = project(compiled, input, keepOnlyOperational);
    expect(object).toEqual({
      id: 'CDR-1',
      cdr_token: { party_id: 'TNM' },
      signed_data: { signed_values: [{ nature: 'Start' }] },
      charging_periods: [{ dimensions: [{ type: 'STATE_OF_CHARGE' }, { type: 'ENERGY', volume: 12.5 }] }],
      tags: [],
    });
    // uid, x_internal, remark, public_key, plain_data, the SoC volume, two tags, x_margin.
    expect(dropped).toBe(9);
  });

  it('keeps everything catalogued when every rule is kept, and still drops unknown properties', () => {
    const { object, dropped } = project(compiled, input, () => true);
    const { x_margin: _margin, ...rest } = input;
    expect(object).toEqual({ ...rest, cdr_token: { uid: '04A2B3', party_id: 'TNM' } });
    expect(dropped).toBe(2);
  });

  it('returns a new object and leaves the input untouched', () => {
    const before = JSON.stringify(input);
    const { object } = project(compiled, input, () => true);
    expect(object).not.toBe(input);
    expect(object.cdr_token).not.toBe(input.cdr_token);
    expect(JSON.stringify(input)).toBe(before);
  });

  it('selects rows per element: the `when` of each array item decides', () => {
    const keepQuasi = (rule: FieldRule) => rule.class !== 'quasi';
    const { object } = project(compiled, { charging_periods: input.charging_periods }, keepQuasi);
    expect(object).toEqual({
      charging_periods: [{ dimensions: [{ type: 'STATE_OF_CHARGE' }, { type: 'ENERGY', volume: 12.5 }] }],
    });
  });
});
