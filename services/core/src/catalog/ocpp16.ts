/**
 * Personal-data catalog, OCPP 1.6J: one entry per message, one row per leaf property of the message's
 * official schema, `customData` aside: schemas/vendor/ocpp16/schemas/ and
 * security-extension-schemas/ (`Foo.json` = req, `FooResponse.json` = conf). Classes and kinds follow
 * docs/pii-catalog.md §3; a property the catalog does not list is `operational` and says so in
 * its note. Rows for one path are ordered: the first whose `when` holds applies (see FieldRule.when).
 *
 * catalog.test.ts proves that every path exists in the schema and every schema leaf has a row. To add a message,
 * walk its schema the same way and classify each leaf against pii-catalog.md.
 */
import { idTagInfo16, meterValue16 } from './datatypes';
import type { MessageCatalog } from './types';

export const OCPP16_CATALOG: readonly MessageCatalog[] = [
  {
    key: 'ocpp1.6:Authorize:req',
    source: 'ocpp1.6',
    message: 'Authorize',
    direction: 'req',
    eventType: 'AUTHORIZATION_REQUESTED',
    fields: [
      { path: 'idTag', class: 'direct', kind: 'idTag', note: 'pii-catalog §3: uid; VID:<12 hex> → vehicle (§2.2)' },
    ],
  },
  {
    key: 'ocpp1.6:Authorize:conf',
    source: 'ocpp1.6',
    message: 'Authorize',
    direction: 'conf',
    eventType: 'AUTHORIZATION_RESULT',
    fields: [
      ...idTagInfo16('idTagInfo', { status: 'authorizationStatus' }),
    ],
  },
  {
    key: 'ocpp1.6:StartTransaction:req',
    source: 'ocpp1.6',
    message: 'StartTransaction',
    direction: 'req',
    eventType: 'TRANSACTION_STARTED',
    fields: [
      { path: 'connectorId', class: 'operational', field: 'connectorId', note: 'pii-catalog §3' },
      { path: 'idTag', class: 'direct', kind: 'idTag', note: 'pii-catalog §3: uid; VID:<12 hex> → vehicle (§2.2)' },
      {
        path: 'meterStart',
        class: 'quasi',
        field: 'meterWh',
        note: 'pii-catalog §3: OP/QI, absolute register (Wh): household consumption on a home charger',
      },
      { path: 'reservationId', class: 'link', field: 'reservationId', note: 'pii-catalog §3' },
      { path: 'timestamp', class: 'quasi', field: 'eventTime', note: 'pii-catalog §3' },
    ],
  },
  {
    key: 'ocpp1.6:StartTransaction:conf',
    source: 'ocpp1.6',
    message: 'StartTransaction',
    direction: 'conf',
    eventType: 'AUTHORIZATION_RESULT',
    fields: [
      ...idTagInfo16('idTagInfo', { status: 'authorizationStatus' }),
      { path: 'transactionId', class: 'link', field: 'transactionId', note: 'pii-catalog §3: CSMS transaction id' },
    ],
  },
  {
    key: 'ocpp1.6:StopTransaction:req',
    source: 'ocpp1.6',
    message: 'StopTransaction',
    direction: 'req',
    eventType: 'TRANSACTION_ENDED',
    fields: [
      {
        path: 'idTag',
        class: 'direct',
        kind: 'idTag',
        note: 'pii-catalog §3: uid (optional: the stopping token); VID:<12 hex> → vehicle (§2.2)',
      },
      { path: 'meterStop', class: 'quasi', field: 'meterWh', note: 'pii-catalog §3: OP/QI, as meterStart' },
      { path: 'timestamp', class: 'quasi', field: 'eventTime', note: 'pii-catalog §3' },
      { path: 'transactionId', class: 'link', field: 'transactionId', note: 'pii-catalog §3' },
      { path: 'reason', class: 'operational', field: 'stopReason', note: 'pii-catalog §3' },
      ...meterValue16('transactionData[]', { eventTime: false, meterWh: false }),
    ],
  },
  {
    key: 'ocpp1.6:StopTransaction:conf',
    source: 'ocpp1.6',
    message: 'StopTransaction',
    direction: 'conf',
    // Carries idTagInfo too, but yields no analytics record: the transaction is already ended.
    fields: [
      ...idTagInfo16('idTagInfo'),
    ],
  },
  {
    key: 'ocpp1.6:MeterValues:req',
    source: 'ocpp1.6',
    message: 'MeterValues',
    direction: 'req',
    eventType: 'METER_VALUES',
    fields: [
      { path: 'connectorId', class: 'operational', field: 'connectorId', note: 'pii-catalog §3' },
      { path: 'transactionId', class: 'link', field: 'transactionId', note: 'pii-catalog §3' },
      ...meterValue16('meterValue[]', { eventTime: true, meterWh: true }),
    ],
  },
  {
    key: 'ocpp1.6:BootNotification:req',
    source: 'ocpp1.6',
    message: 'BootNotification',
    direction: 'req',
    fields: [
      { path: 'chargePointVendor', class: 'operational', note: 'pii-catalog §3' },
      { path: 'chargePointModel', class: 'operational', note: 'pii-catalog §3' },
      {
        path: 'chargePointSerialNumber',
        class: 'direct',
        kind: 'device',
        note: 'pii-catalog §3: personal for home chargers',
      },
      {
        path: 'chargeBoxSerialNumber',
        class: 'direct',
        kind: 'device',
        note: 'pii-catalog §3: personal for home chargers',
      },
      { path: 'firmwareVersion', class: 'operational', note: 'pii-catalog §3' },
      { path: 'iccid', class: 'direct', kind: 'device', note: 'pii-catalog §3: SIM card id' },
      { path: 'imsi', class: 'direct', kind: 'device', note: 'pii-catalog §3: subscriber identity of the SIM' },
      { path: 'meterType', class: 'operational', note: 'pii-catalog §3' },
      {
        path: 'meterSerialNumber',
        class: 'direct',
        kind: 'device',
        note: 'pii-catalog §3: also in OCMF MS and OCPI meter_id',
      },
    ],
  },
  {
    key: 'ocpp1.6:StatusNotification:req',
    source: 'ocpp1.6',
    message: 'StatusNotification',
    direction: 'req',
    fields: [
      { path: 'connectorId', class: 'operational', note: 'pii-catalog §3' },
      { path: 'errorCode', class: 'operational', note: 'pii-catalog §3' },
      { path: 'info', class: 'freetext', note: 'pii-catalog §3' },
      { path: 'status', class: 'operational', note: 'pii-catalog §3' },
      { path: 'timestamp', class: 'quasi', note: 'pii-catalog §3: occupancy timeline (presence at home)' },
      { path: 'vendorId', class: 'freetext', note: 'pii-catalog §3' },
      { path: 'vendorErrorCode', class: 'freetext', note: 'pii-catalog §3' },
    ],
  },
  {
    key: 'ocpp1.6:DataTransfer:req',
    source: 'ocpp1.6',
    message: 'DataTransfer',
    direction: 'req',
    fields: [
      { path: 'vendorId', class: 'operational', note: 'pii-catalog §3' },
      { path: 'messageId', class: 'operational', note: 'pii-catalog §3' },
      {
        path: 'data',
        class: 'embedded',
        when: { sibling: 'vendorId', equals: 'org.openchargealliance.iso15118pnc' },
        note: 'pii-catalog §3: Plug & Charge: a stringified OCPP 2.0.1 payload (eMAID, PEM certificate, EXI, cert serial) (S13)',
      },
      { path: 'data', class: 'freetext', note: 'pii-catalog §3: opaque vendor string' },
    ],
  },
  {
    key: 'ocpp1.6:DataTransfer:conf',
    source: 'ocpp1.6',
    message: 'DataTransfer',
    direction: 'conf',
    fields: [
      { path: 'status', class: 'operational', note: 'pii-catalog §3' },
      {
        path: 'data',
        class: 'freetext',
        note: 'pii-catalog §3: opaque vendor string; a Plug & Charge answer cannot be told apart here (the CALLRESULT has no vendorId)',
      },
    ],
  },
  {
    key: 'ocpp1.6:RemoteStartTransaction:req',
    source: 'ocpp1.6',
    message: 'RemoteStartTransaction',
    direction: 'req',
    eventType: 'REMOTE_START',
    fields: [
      { path: 'connectorId', class: 'operational', field: 'connectorId', note: 'pii-catalog §3' },
      { path: 'idTag', class: 'direct', kind: 'idTag', note: 'pii-catalog §3: uid; VID:<12 hex> → vehicle (§2.2)' },
      { path: 'chargingProfile.chargingProfileId', class: 'operational', note: 'pii-catalog §3: not listed (OP)' },
      { path: 'chargingProfile.transactionId', class: 'link', note: 'pii-catalog §3' },
      { path: 'chargingProfile.stackLevel', class: 'operational', note: 'pii-catalog §3: not listed (OP)' },
      { path: 'chargingProfile.chargingProfilePurpose', class: 'operational', note: 'pii-catalog §3: not listed (OP)' },
      { path: 'chargingProfile.chargingProfileKind', class: 'operational', note: 'pii-catalog §3: not listed (OP)' },
      { path: 'chargingProfile.recurrencyKind', class: 'operational', note: 'pii-catalog §3: not listed (OP)' },
      { path: 'chargingProfile.validFrom', class: 'operational', note: 'pii-catalog §3: not listed (OP)' },
      { path: 'chargingProfile.validTo', class: 'operational', note: 'pii-catalog §3: not listed (OP)' },
      {
        path: 'chargingProfile.chargingSchedule.duration',
        class: 'operational',
        note: 'pii-catalog §3: not listed (OP)',
      },
      {
        path: 'chargingProfile.chargingSchedule.startSchedule',
        class: 'operational',
        note: 'pii-catalog §3: not listed (OP)',
      },
      {
        path: 'chargingProfile.chargingSchedule.chargingRateUnit',
        class: 'operational',
        note: 'pii-catalog §3: not listed (OP)',
      },
      {
        path: 'chargingProfile.chargingSchedule.chargingSchedulePeriod[].startPeriod',
        class: 'operational',
        note: 'pii-catalog §3: not listed (OP)',
      },
      {
        path: 'chargingProfile.chargingSchedule.chargingSchedulePeriod[].limit',
        class: 'operational',
        note: 'pii-catalog §3: not listed (OP)',
      },
      {
        path: 'chargingProfile.chargingSchedule.chargingSchedulePeriod[].numberPhases',
        class: 'operational',
        note: 'pii-catalog §3: not listed (OP)',
      },
      {
        path: 'chargingProfile.chargingSchedule.minChargingRate',
        class: 'operational',
        note: 'pii-catalog §3: not listed (OP)',
      },
    ],
  },
  {
    key: 'ocpp1.6:ReserveNow:req',
    source: 'ocpp1.6',
    message: 'ReserveNow',
    direction: 'req',
    eventType: 'RESERVATION',
    fields: [
      { path: 'connectorId', class: 'operational', field: 'connectorId', note: 'pii-catalog §3' },
      { path: 'expiryDate', class: 'quasi', note: 'pii-catalog §3' },
      { path: 'idTag', class: 'direct', kind: 'idTag', note: 'pii-catalog §3: uid; VID:<12 hex> → vehicle (§2.2)' },
      {
        path: 'parentIdTag',
        class: 'direct',
        kind: 'group',
        note: 'pii-catalog §3: parentIdTag, shared account id (§3.10)',
      },
      { path: 'reservationId', class: 'link', field: 'reservationId', note: 'pii-catalog §3' },
    ],
  },
  {
    key: 'ocpp1.6:SendLocalList:req',
    source: 'ocpp1.6',
    message: 'SendLocalList',
    direction: 'req',
    fields: [
      { path: 'listVersion', class: 'operational', note: 'pii-catalog §3: not listed (OP)' },
      {
        path: 'localAuthorizationList[].idTag',
        class: 'direct',
        kind: 'idTag',
        note: 'pii-catalog §3: uid (bulk list of customers); VID:<12 hex> → vehicle (§2.2)',
      },
      ...idTagInfo16('localAuthorizationList[].idTagInfo'),
      { path: 'updateType', class: 'operational', note: 'pii-catalog §3: not listed (OP)' },
    ],
  },
  {
    key: 'ocpp1.6:SecurityEventNotification:req',
    source: 'ocpp1.6',
    message: 'SecurityEventNotification',
    direction: 'req',
    fields: [
      { path: 'type', class: 'operational', note: 'pii-catalog §3' },
      { path: 'timestamp', class: 'operational', note: 'pii-catalog §3' },
      { path: 'techInfo', class: 'freetext', note: 'pii-catalog §3' },
    ],
  },
  {
    key: 'ocpp1.6:SignCertificate:req',
    source: 'ocpp1.6',
    message: 'SignCertificate',
    direction: 'req',
    fields: [
      { path: 'csr', class: 'embedded', note: 'pii-catalog §3: station identity in the CSR subject (device)' },
    ],
  },
  {
    key: 'ocpp1.6:Heartbeat:req',
    source: 'ocpp1.6',
    message: 'Heartbeat',
    direction: 'req',
    fields: [],
  },
  {
    key: 'ocpp1.6:Heartbeat:conf',
    source: 'ocpp1.6',
    message: 'Heartbeat',
    direction: 'conf',
    fields: [
      { path: 'currentTime', class: 'operational', note: 'pii-catalog §3' },
    ],
  },
];
