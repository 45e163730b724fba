/** Unit tests of @ampseal/keyring: the shared unit configuration (jest.unit.js at the repository root). */
module.exports = require('../../jest.unit.js');
