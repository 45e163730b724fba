/** Unit tests of @ampseal/kafka: the shared unit configuration (jest.unit.js at the repository root). */
module.exports = require('../../jest.unit.js');
