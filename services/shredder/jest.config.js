/** Unit tests of @ampseal/shredder: the shared unit configuration (jest.unit.js at the repository root). */
module.exports = require('../../jest.unit.js');
