import { createPopulation, type Population } from './population';

const population: Population = createPopulation({ seed: 1, stations: 400, cards: 5000, tenant: 'acme-cpo' });

describe('population', () => {
  test('the same options give the same population', () => {
    const again = createPopulation({ seed: 1, stations: 400, cards: 5000, tenant: 'acme-cpo' });
    expect(again.stations).toEqual(population.stations);
    expect(again.cards).toEqual(population.cards);
    expect(createPopulation({ seed: 2, stations: 400, cards: 5000, tenant: 'acme-cpo' }).cards).not.toEqual(population.cards);
  });

  test('stations have distinct CP-<4 digits> ids, a protocol, 1 to 4 connectors and some are home chargers', () => {
    const ids = population.stations.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const station of population.stations) {
      expect(station.id).toMatch(/^CP-\d{4}$/);
      expect(['ocpp1.6', 'ocpp2.0.1']).toContain(station.protocol);
      expect(station.connectors.length).toBeGreaterThanOrEqual(1);
      expect(station.connectors.length).toBeLessThanOrEqual(4);
      if (station.home) {
        expect(station.connectors).toHaveLength(1);
        expect(population.cards[station.owner!]!.homeStation).toBe(station.index);
      }
    }
    const home = population.stations.filter((s) => s.home).length;
    expect(home).toBeGreaterThan(0);
    expect(home).toBeLessThan(population.stations.length / 5);
    const slots = population.stations.flatMap((s) => s.connectors.map((c) => c.slot));
    expect([...slots].sort((a, b) => a - b)).toEqual(Array.from({ length: population.connectorCount }, (_, i) => i));
  });

  test('5 to 8 eMSP parties, always including NL/TNM, DE/EMS and BE/BEC', () => {
    expect(population.parties.length).toBeGreaterThanOrEqual(5);
    expect(population.parties.length).toBeLessThanOrEqual(8);
    const names = population.parties.map((p) => `${p.countryCode}/${p.partyId}`);
    expect(names).toEqual(expect.arrayContaining(['NL/TNM', 'DE/EMS', 'BE/BEC']));
    expect(population.cpo).toEqual({ countryCode: 'NL', partyId: 'ACM', name: 'acme-cpo' });
  });

  test('cards come in every identifier form with the right shape', () => {
    const byType = new Map<string, number>();
    for (const card of population.cards) {
      byType.set(card.type, (byType.get(card.type) ?? 0) + 1);
      expect(card.idTag.length).toBeLessThanOrEqual(20);
      switch (card.type) {
        case 'rfid7':
          expect(card.idTag).toMatch(/^[0-9A-F]{14}$/);
          expect(card.idTokenType).toBe('ISO14443');
          break;
        case 'rfid4':
          expect(card.idTag).toMatch(/^[0-9A-F]{8}$/);
          break;
        case 'app':
          expect(card.idTag).toMatch(/^APP[0-9A-Z]{12}$/);
          expect(card.idTokenType).toBe('Central');
          expect(card.ocpiType).toBe('APP_USER');
          break;
        case 'autocharge':
          expect(card.idTag).toMatch(/^VID:[0-9A-F]{12}$/);
          expect(card.idToken).toBe(card.idTag.slice(4));
          expect(card.idTokenType).toBe('MacAddress');
          expect(card.roaming).toBe(false);
          break;
        case 'emaid':
          expect(card.idTag).toMatch(/^[A-Z]{2}-[A-Z0-9]{3}-C\d{8}-[0-9A-Z]$/);
          expect(card.contractId).toBe(card.idTag);
          expect(card.idTokenType).toBe('eMAID');
          break;
      }
      // The contract id is an eMAID of the issuer, printed with or without hyphens.
      expect(card.contractId.replace(/-/g, '')).toMatch(new RegExp(`^${card.issuer.countryCode}${card.issuer.partyId}C\\d{8}[0-9A-Z]$`));
      expect(card.roaming).toBe(card.issuer !== population.cpo);
    }
    expect([...byType.keys()].sort()).toEqual(['app', 'autocharge', 'emaid', 'rfid4', 'rfid7']);
    expect(new Set(population.cards.map((c) => c.idTag)).size).toBe(population.cards.length);
    const roaming = population.cards.filter((c) => c.roaming).length / population.cards.length;
    expect(roaming).toBeGreaterThan(0.4);
    expect(roaming).toBeLessThan(0.7);
  });

  test('some cards belong to fleets, with a VIN and a driver id', () => {
    const fleet = population.cards.filter((c) => c.fleet !== undefined);
    expect(fleet.length / population.cards.length).toBeGreaterThan(0.05);
    for (const card of fleet) {
      expect(card.fleet!.vehicleId).toMatch(/^[0-9A-HJ-NPR-Z]{17}$/);
      expect(card.fleet!.driverId).toMatch(/^DRV-\d{7}$/);
      expect(card.group).toBeDefined();
    }
  });

  test('refuses station counts the id scheme cannot hold', () => {
    expect(() => createPopulation({ seed: 1, stations: 10_000, cards: 10, tenant: 'a' })).toThrow(RangeError);
    expect(() => createPopulation({ seed: 1, stations: 0, cards: 10, tenant: 'a' })).toThrow(RangeError);
    expect(() => createPopulation({ seed: 1, stations: 1, cards: 0, tenant: 'a' })).toThrow(RangeError);
  });
});
