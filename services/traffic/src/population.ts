import { type Random, createRandom, weighted, zipf, type RankPick } from './random';

/**
 * The world the traffic happens in, drawn once from a seed: the CPO's stations and the cards that charge at
 * them, each card issued by an eMSP party. Immutable: the moving parts (busy connectors, meter registers) live
 * in traffic.ts, so one population can be inspected by tests while a stream runs.
 */

export type Protocol = 'ocpp1.6' | 'ocpp2.0.1';

/** An OCPI party: the CPO itself, or an eMSP that issues cards (OCPI credentials roles). */
export interface Party {
  readonly countryCode: string;
  readonly partyId: string;
  readonly name: string;
}

export type ConnectorStandard = 'IEC_62196_T2' | 'IEC_62196_T2_COMBO' | 'CHADEMO';
export type PowerType = 'AC_1_PHASE' | 'AC_3_PHASE' | 'DC';

/**
 * One charging point. OCPP 1.6 addresses it as `connectorId`; OCPP 2.0.1 as EVSE `id` with connector 1 (one
 * connector per EVSE here, the common case); OCPI as evse_uid + connector_id "1".
 */
export interface Connector {
  /** 1-based: 1.6 connectorId, 2.0.1 evse.id. */
  readonly id: number;
  /** Index over all connectors of the population (slot in traffic.ts state arrays). */
  readonly slot: number;
  readonly standard: ConnectorStandard;
  readonly format: 'SOCKET' | 'CABLE';
  readonly powerType: PowerType;
  readonly maxKw: number;
  /** OCPI EVSE uid (CiString 36) and EVSE id (eMI3, `NL*ACM*E1234*1`). */
  readonly evseUid: string;
  readonly evseId: string;
  /** Energy register at the start of the stream, Wh. */
  readonly initialMeterWh: number;
}

export interface Location {
  /** OCPI location id. */
  readonly id: string;
  readonly name?: string;
  readonly address: string;
  readonly city: string;
  readonly postalCode: string;
  /** ISO 3166-1 alpha-3, as OCPI CdrLocation.country. */
  readonly country: string;
  /** WGS 84, OCPI GeoLocation strings (6 decimals). */
  readonly latitude: string;
  readonly longitude: string;
}

export interface Station {
  /** `CP-<4 digits>`: OCPP charge point identity and the Kafka key of its records. */
  readonly id: string;
  readonly index: number;
  readonly protocol: Protocol;
  readonly dc: boolean;
  /** A home charger operated by the CPO for an employer: one connector, one owner card. */
  readonly home: boolean;
  /** Card index of the home charger's owner. */
  readonly owner?: number;
  readonly connectors: readonly Connector[];
  readonly location: Location;
  readonly vendor: string;
  readonly model: string;
  readonly serialNumber: string;
  readonly firmwareVersion: string;
  /** SIM of the cellular modem (device identifiers); absent on wired stations. */
  readonly iccid?: string;
  readonly imsi?: string;
  readonly meterType: string;
  readonly meterSerialNumber: string;
  /**
   * German calibration law (Eichrecht) stations sign their readings (OCMF): 1.6 transactionData SignedData,
   * 2.0.1 signedMeterValue, OCPI signed_data and meter_id.
   */
  readonly eichrecht: boolean;
  /** Hex DER SubjectPublicKeyInfo of the signing meter (eichrecht only). */
  readonly meterPublicKey?: string;
  readonly heartbeatIntervalS: number;
  readonly meterIntervalS: number;
  /** The station reports energy in kWh with decimals instead of Wh. */
  readonly kwhUnits: boolean;
  /** Firmware quirk: RFID UIDs sent in lower case (CiString: the same card, design §3). */
  readonly lowerCaseIdTags: boolean;
  /** OCPP-J message ids: UUIDs, or a per-connection counter. */
  readonly uuidMessageIds: boolean;
  /** 2.0.1 TxStartPoint: the transaction starts at cable plug-in (EVConnected) rather than at authorization. */
  readonly txStartOnPlugIn: boolean;
  /** 2.0.1 stations that attach vendor customData blobs to transaction events. */
  readonly vendorCustomData?: string;
  /** The CSMS also publishes this station's Heartbeat responses. */
  readonly logsHeartbeatConf: boolean;
}

export type CardType = 'rfid7' | 'rfid4' | 'app' | 'autocharge' | 'emaid';

export interface Fleet {
  readonly vehicleId: string;
  readonly driverId: string;
}

export interface Card {
  readonly index: number;
  readonly type: CardType;
  /**
   * The OCPP 1.6 idTag (≤ 20 chars): the RFID UID in hex, the app user id, `VID:<MAC>` for Autocharge, the
   * eMAID for Plug & Charge; also the OCPI token uid (without the `VID:` prefix, which OCPI never sees).
   */
  readonly idTag: string;
  /** The OCPP 2.0.1 idToken and its IdTokenEnumType. */
  readonly idToken: string;
  readonly idTokenType: 'ISO14443' | 'Central' | 'MacAddress' | 'eMAID';
  /** The EV's MAC (Autocharge, and the EVCCID of Plug & Charge vehicles). */
  readonly mac?: string;
  readonly issuer: Party;
  /** Issued by another party than the CPO's own eMSP: sessions are also reported over OCPI. */
  readonly roaming: boolean;
  /** OCPI token type. */
  readonly ocpiType: 'RFID' | 'APP_USER' | 'OTHER';
  /** OCPI contract_id (an eMAID, with or without hyphens as issuers print it). */
  readonly contractId: string;
  readonly visualNumber: string;
  /** OCPP 1.6 parentIdTag / 2.0.1 groupIdToken / OCPI group_id. */
  readonly group?: string;
  readonly fleet?: Fleet;
  /** idTagInfo.expiryDate. */
  readonly expiryDate?: string;
  /** Station index of this card's home charger. */
  readonly homeStation?: number;
}

export interface Population {
  readonly seed: number;
  readonly tenant: string;
  /** The CPO (the tenant) as an OCPI party: country_code/party_id of its Sessions and CDRs. */
  readonly cpo: Party;
  /** The eMSPs whose cards roam here (5 to 8). */
  readonly parties: readonly Party[];
  readonly stations: readonly Station[];
  readonly cards: readonly Card[];
  /** Number of connectors over all stations. */
  readonly connectorCount: number;
  /** Stations by protocol, public ones only (home chargers are their owner's). */
  readonly publicStations: readonly number[];
  readonly public201Stations: readonly number[];
  readonly publicDcStations: readonly number[];
  /** Which card starts the next session: a Zipf-like rank over the cards (see random.ts zipf). */
  readonly cardRank: RankPick;
}

export interface PopulationOptions {
  seed: number;
  stations: number;
  cards: number;
  tenant: string;
}

/** The eMSPs a card can come from. The first three always take part; the rest are drawn. */
const EMSP_POOL: readonly Party[] = [
  { countryCode: 'NL', partyId: 'TNM', name: 'TeamNet Mobility' },
  { countryCode: 'DE', partyId: 'EMS', name: 'E-Mobil Service GmbH' },
  { countryCode: 'BE', partyId: 'BEC', name: 'BeCharged' },
  { countryCode: 'FR', partyId: 'MOB', name: 'Mobilite Plus' },
  { countryCode: 'DE', partyId: '8AA', name: 'Achtung Laden' },
  { countryCode: 'AT', partyId: 'VCH', name: 'Voltcharge Austria' },
  { countryCode: 'CH', partyId: 'SWC', name: 'SwissCharge AG' },
  { countryCode: 'GB', partyId: 'PLG', name: 'PlugGo UK' },
];

interface City {
  readonly name: string;
  readonly country: 'NLD' | 'BEL' | 'DEU';
  readonly lat: number;
  readonly lon: number;
  readonly postal: string;
}

const CITIES: readonly City[] = [
  { name: 'Amsterdam', country: 'NLD', lat: 52.3676, lon: 4.9041, postal: '10' },
  { name: 'Rotterdam', country: 'NLD', lat: 51.9244, lon: 4.4777, postal: '30' },
  { name: 'Utrecht', country: 'NLD', lat: 52.0907, lon: 5.1214, postal: '35' },
  { name: 'Eindhoven', country: 'NLD', lat: 51.4416, lon: 5.4697, postal: '56' },
  { name: 'Den Haag', country: 'NLD', lat: 52.0705, lon: 4.3007, postal: '25' },
  { name: 'Groningen', country: 'NLD', lat: 53.2194, lon: 6.5665, postal: '97' },
  { name: 'Antwerpen', country: 'BEL', lat: 51.2194, lon: 4.4025, postal: '20' },
  { name: 'Gent', country: 'BEL', lat: 51.0543, lon: 3.7174, postal: '90' },
  { name: 'Köln', country: 'DEU', lat: 50.9375, lon: 6.9603, postal: '506' },
  { name: 'Düsseldorf', country: 'DEU', lat: 51.2277, lon: 6.7735, postal: '402' },
  { name: 'Aachen', country: 'DEU', lat: 50.7753, lon: 6.0839, postal: '520' },
];

const STREETS: Readonly<Record<City['country'], readonly string[]>> = {
  NLD: ['Kerkstraat', 'Stationsweg', 'Dorpsstraat', 'Molenweg', 'Schoolstraat', 'Julianalaan', 'Industrieweg', 'Havenstraat'],
  BEL: ['Kerkstraat', 'Stationsstraat', 'Nieuwstraat', 'Leopoldlaan', 'Kouter', 'Meir'],
  DEU: ['Hauptstraße', 'Bahnhofstraße', 'Schulstraße', 'Gartenstraße', 'Industriestraße', 'Ringstraße'],
};

const PLACE_NAMES: readonly string[] = ['P+R', 'Station', 'Retail Park', 'Parking Centrum', 'Hub', 'Business Park'];

const AC_HARDWARE = [
  { vendor: 'Voltaris', model: 'VX-22 Duo', meterType: 'EEM-350-D-MCB' },
  { vendor: 'ChargeCore', model: 'CC Street 2', meterType: 'EM340 DIN' },
  { vendor: 'Ampera', model: 'AmpWall 11', meterType: 'ABB B23 112' },
] as const;
const DC_HARDWARE = [
  { vendor: 'Fluxwerk', model: 'FX-150 Twin', meterType: 'LEM DCBM 400' },
  { vendor: 'Ionix', model: 'Ionix HPC 300', meterType: 'Isabellenhuette' },
] as const;

const CARD_TYPES = weighted<CardType>([
  ['rfid7', 0.58],
  ['rfid4', 0.1],
  ['app', 0.14],
  ['autocharge', 0.08],
  ['emaid', 0.1],
]);

const CONNECTOR_COUNTS = weighted<number>([
  [1, 0.25],
  [2, 0.55],
  [3, 0.1],
  [4, 0.1],
]);

const VIN_CHARS = '0123456789ABCDEFGHJKLMNPRSTUVWXYZ';
const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const WMI = ['WVW', 'WBA', '5YJ', 'VF1', 'YV1', 'WDD', 'TMB', 'KNA'];

export const MAX_STATIONS = 9999;

/** The vendor's own namespace, as DataTransfer.vendorId and customData.vendorId name it. */
export function vendorNamespace(vendor: string): string {
  return `com.${vendor.toLowerCase()}.ocpp`;
}

/** Draws a population. Same options → same population. */
export function createPopulation(options: PopulationOptions): Population {
  const { seed, tenant } = options;
  const stationCount = options.stations;
  const cardCount = options.cards;
  if (!Number.isSafeInteger(stationCount) || stationCount < 1 || stationCount > MAX_STATIONS) {
    throw new RangeError(`stations must be an integer from 1 to ${MAX_STATIONS} (ids are CP-<4 digits>)`);
  }
  if (!Number.isSafeInteger(cardCount) || cardCount < 1) throw new RangeError('cards must be a positive integer');
  const rng = createRandom(seed, 1);

  const cpo: Party = { countryCode: 'NL', partyId: cpoPartyId(tenant), name: tenant };
  const partyCount = rng.int(5, 8);
  const parties = [...EMSP_POOL.slice(0, 3), ...rng.shuffle(EMSP_POOL.slice(3)).slice(0, partyCount - 3)];
  // The first issuers are the big ones: roaming market share is skewed too.
  const issuerPick = weighted(parties.map((party, i) => [party, 1 / (i + 1)] as const));

  const cards = drawCards(rng, cardCount, cpo, issuerPick.pick.bind(issuerPick));
  const { stations, connectorCount } = drawStations(rng, stationCount, cpo, cards);

  const publicStations: number[] = [];
  const public201Stations: number[] = [];
  const publicDcStations: number[] = [];
  for (const station of stations) {
    if (station.home) continue;
    publicStations.push(station.index);
    if (station.protocol === 'ocpp2.0.1') public201Stations.push(station.index);
    if (station.dc) publicDcStations.push(station.index);
  }

  return {
    seed,
    tenant,
    cpo,
    parties,
    stations,
    cards,
    connectorCount,
    publicStations,
    public201Stations,
    publicDcStations,
    cardRank: zipf(cardCount),
  };
}

/** OCPI party_id of the tenant: its first three letters or digits, upper case (`acme-cpo` → `ACM`). */
function cpoPartyId(tenant: string): string {
  const letters = tenant.replace(/[^a-z0-9]/gi, '').toUpperCase();
  return (letters + 'XXX').slice(0, 3);
}

type IssuerPick = (rng: Random) => Party;

function drawCards(rng: Random, count: number, cpo: Party, pickIssuer: IssuerPick): Card[] {
  const groups: string[] = [];
  for (let i = 0; i < Math.max(3, Math.ceil(count / 25)); i++) groups.push(`G${rng.hex(10)}`);
  const fleets: { group: string; prefix: string }[] = [];
  for (let i = 0; i < Math.max(2, Math.ceil(count / 60)); i++) fleets.push({ group: `F${rng.hex(10)}`, prefix: rng.digits(2) });

  const cards: Card[] = [];
  const seen = new Set<string>();
  for (let index = 0; index < count; index++) {
    const type = CARD_TYPES.pick(rng);
    // Autocharge enrolment is done by the CPO's own app: those vehicles are never roaming tokens.
    const issuer = type === 'autocharge' || rng.chance(0.4) ? cpo : pickIssuer(rng);
    const roaming = issuer !== cpo;
    const contractId = type === 'emaid' ? '' : emaid(rng, issuer, rng.chance(0.6));

    let idTag: string;
    let idToken: string;
    let idTokenType: Card['idTokenType'];
    let mac: string | undefined;
    let ocpiType: Card['ocpiType'] = 'RFID';
    let cardContract = contractId;
    do {
      switch (type) {
        case 'rfid7':
          // NXP MIFARE 7-byte UIDs start with the manufacturer byte 0x04.
          idTag = (rng.chance(0.7) ? '04' : rng.hex(2)) + rng.hex(12);
          idToken = idTag;
          idTokenType = 'ISO14443';
          break;
        case 'rfid4':
          idTag = rng.hex(8);
          idToken = idTag;
          idTokenType = 'ISO14443';
          break;
        case 'app':
          idTag = `APP${rng.chars(ALNUM, 12)}`;
          idToken = idTag;
          idTokenType = 'Central';
          ocpiType = 'APP_USER';
          break;
        case 'autocharge':
          mac = rng.hex(12);
          // Autocharge convention (pii-catalog S11): idTag "VID:" + the EV's MAC; 2.0.1 sends MacAddress.
          idTag = `VID:${mac}`;
          idToken = mac;
          idTokenType = 'MacAddress';
          break;
        case 'emaid':
          // ISO 15118 Plug & Charge: the contract certificate's eMAID is the token (2.0.1 type eMAID).
          mac = rng.hex(12);
          idTag = emaid(rng, issuer, true);
          idToken = idTag;
          idTokenType = 'eMAID';
          // OCPI 2.2.1 has no EMAID token type (it came in 2.3.0): issuers send OTHER.
          ocpiType = 'OTHER';
          cardContract = idTag;
          break;
      }
    } while (seen.has(idTag));
    seen.add(idTag);

    let group: string | undefined;
    let fleet: Fleet | undefined;
    if (type !== 'autocharge' && rng.chance(0.12)) {
      const f = rng.pick(fleets);
      group = f.group;
      fleet = {
        vehicleId: rng.pick(WMI) + rng.chars(VIN_CHARS, 14),
        driverId: `DRV-${f.prefix}${rng.digits(5)}`,
      };
    } else if (rng.chance(0.22)) {
      group = rng.pick(groups);
    }
    const expiryDate = rng.chance(0.35) ? `${rng.int(2027, 2029)}-${pad2(rng.int(1, 12))}-28T23:59:59Z` : undefined;

    // One object shape for every card (absent fields are undefined, not missing): monomorphic and ~2× faster
    // to build for a million cards than spreading optional members.
    const card: Card = {
      index,
      type,
      idTag,
      idToken,
      idTokenType,
      mac,
      issuer,
      roaming,
      ocpiType,
      contractId: cardContract,
      visualNumber: `${issuer.partyId}-${rng.digits(6)}-${rng.digits(1)}`,
      group,
      fleet,
      expiryDate,
      homeStation: undefined,
    };
    cards.push(card);
  }
  return cards;
}

/**
 * An eMAID (ISO 15118-2 Annex H): country, provider, 9-character instance, check character; printed with or
 * without hyphens (`NL-TNM-C00122045-K`, `NLTNMC00122045K`).
 */
function emaid(rng: Random, issuer: Party, hyphens: boolean): string {
  const instance = `C${rng.digits(8)}`;
  const check = rng.chars(ALNUM, 1);
  // Party ids are three upper-case letters or digits (the pool, and cpoPartyId for the tenant's own eMSP).
  return hyphens
    ? `${issuer.countryCode}-${issuer.partyId}-${instance}-${check}`
    : `${issuer.countryCode}${issuer.partyId}${instance}${check}`;
}

function drawStations(
  rng: Random,
  count: number,
  cpo: Party,
  cards: Card[],
): { stations: Station[]; connectorCount: number } {
  // Distinct 4-digit numbers: a partial Fisher–Yates over 1..9999.
  const numbers = Array.from({ length: MAX_STATIONS }, (_, i) => i + 1);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(rng.float() * (numbers.length - i));
    const tmp = numbers[i]!;
    numbers[i] = numbers[j]!;
    numbers[j] = tmp;
  }
  // Home chargers need an owner card each; never more than half the stations or a tenth of the cards.
  const homeCount = count >= 4 ? Math.min(Math.round(count * 0.08), Math.floor(cards.length / 10)) : 0;
  // Home chargers are operated for employers whose drivers hold an eMSP's card (reimbursed over OCPI), so owners
  // are drawn from roaming cards first; Plug & Charge cards are left out (home chargers here are simple AC boxes).
  const eligible = rng.shuffle(cards.map((c) => c.index).filter((i) => cards[i]!.type !== 'emaid'));
  const owners = [...eligible.filter((i) => cards[i]!.roaming), ...eligible.filter((i) => !cards[i]!.roaming)].slice(0, homeCount);

  const stations: Station[] = [];
  let slot = 0;
  for (let index = 0; index < count; index++) {
    const number = String(numbers[index]!).padStart(4, '0');
    const id = `CP-${number}`;
    const home = index >= count - owners.length;
    const owner = home ? owners[index - (count - owners.length)] : undefined;
    // At least one station of each protocol once there are two, so every flow appears in small streams.
    const protocol: Protocol =
      count >= 2 && index === 0 ? 'ocpp1.6' : count >= 2 && index === 1 ? 'ocpp2.0.1' : rng.chance(0.6) ? 'ocpp1.6' : 'ocpp2.0.1';
    const dc = !home && (index === 2 || rng.chance(0.28));
    const city = rng.pick(CITIES);
    const eichrecht = city.country === 'DEU' || (dc && rng.chance(0.3));
    const hardware = dc ? rng.pick(DC_HARDWARE) : rng.pick(AC_HARDWARE);
    const connectorTotal = home ? 1 : CONNECTOR_COUNTS.pick(rng);
    const location = drawLocation(rng, city, number, home);

    const connectors: Connector[] = [];
    for (let c = 1; c <= connectorTotal; c++) {
      let standard: ConnectorStandard = 'IEC_62196_T2';
      let powerType: PowerType = 'AC_3_PHASE';
      let format: 'SOCKET' | 'CABLE' = rng.chance(0.8) ? 'SOCKET' : 'CABLE';
      let maxKw = rng.pick([11, 22, 22]);
      if (home) {
        maxKw = rng.pick([3.7, 7.4, 11]);
        powerType = maxKw === 11 ? 'AC_3_PHASE' : 'AC_1_PHASE';
      } else if (dc) {
        // DC posts: CCS first, a CHAdeMO cable on some, an AC socket on the third or fourth outlet.
        format = 'CABLE';
        if (c === 2 && rng.chance(0.3)) {
          standard = 'CHADEMO';
          powerType = 'DC';
          maxKw = 50;
        } else if (c >= 3) {
          format = 'SOCKET';
          maxKw = 22;
        } else {
          standard = 'IEC_62196_T2_COMBO';
          powerType = 'DC';
          maxKw = rng.pick([50, 150, 150, 300]);
        }
      }
      connectors.push({
        id: c,
        slot: slot++,
        standard,
        format,
        powerType,
        maxKw,
        evseUid: `${id}-${c}`,
        evseId: `${cpo.countryCode}*${cpo.partyId}*E${number}*${c}`,
        initialMeterWh: rng.int(50_000, home ? 9_000_000 : 60_000_000),
      });
    }

    const hasModem = rng.chance(home ? 0.8 : 0.55);
    const protocol201 = protocol === 'ocpp2.0.1';
    const station: Station = {
      id,
      index,
      protocol,
      dc,
      home,
      ...(owner === undefined ? {} : { owner }),
      connectors,
      location,
      vendor: hardware.vendor,
      model: hardware.model,
      serialNumber: `${hardware.vendor.slice(0, 3).toUpperCase()}${rng.digits(9)}`,
      firmwareVersion: `${rng.int(1, 6)}.${rng.int(0, 20)}.${rng.int(0, 9)}`,
      ...(hasModem ? { iccid: `8931${rng.digits(15)}`, imsi: `20404${rng.digits(10)}` } : {}),
      meterType: hardware.meterType,
      meterSerialNumber: `${rng.hex(4)}${rng.digits(10)}`,
      eichrecht,
      ...(eichrecht ? { meterPublicKey: ECDSA_P256_SPKI_PREFIX + '04' + rng.hex(128) } : {}),
      heartbeatIntervalS: rng.pick([900, 1800, 1800, 3600, 3600, 3600]),
      meterIntervalS: dc ? rng.pick([60, 60, 120]) : rng.pick([300, 600, 900, 900]),
      kwhUnits: rng.chance(0.15),
      lowerCaseIdTags: rng.chance(0.05),
      uuidMessageIds: rng.chance(protocol201 ? 0.8 : 0.4),
      txStartOnPlugIn: protocol201 && rng.chance(0.5),
      ...(protocol201 && rng.chance(0.3) ? { vendorCustomData: vendorNamespace(hardware.vendor) } : {}),
      logsHeartbeatConf: rng.chance(0.4),
    };
    stations.push(station);
  }
  // Owners learn their home station only now that stations exist; the population is not handed out yet.
  for (const station of stations) {
    if (station.owner !== undefined) (cards[station.owner] as { homeStation?: number }).homeStation = station.index;
  }
  return { stations, connectorCount: slot };
}

/** DER prefix of an ECDSA P-256 SubjectPublicKeyInfo; the 65-byte uncompressed point follows. */
const ECDSA_P256_SPKI_PREFIX = '3059301306072A8648CE3D020106082A8648CE3D030107034200';

function drawLocation(rng: Random, city: City, number: string, home: boolean): Location {
  const street = rng.pick(STREETS[city.country]);
  const address = `${street} ${rng.int(1, 240)}`;
  let postalCode: string;
  if (city.country === 'NLD') postalCode = `${city.postal}${rng.digits(2)} ${rng.chars('ABCDEFGHJKLMNPRSTVWXZ', 2)}`;
  else if (city.country === 'BEL') postalCode = `${city.postal}${rng.digits(2)}`;
  else postalCode = `${city.postal}${rng.digits(2)}`;
  const latitude = (city.lat + rng.range(-0.06, 0.06)).toFixed(6);
  const longitude = (city.lon + rng.range(-0.09, 0.09)).toFixed(6);
  return {
    id: `LOC${number}`,
    ...(home ? {} : { name: `${city.name} ${rng.pick(PLACE_NAMES)} ${street}` }),
    address,
    city: city.name,
    postalCode,
    country: city.country,
    latitude,
    longitude,
  };
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
