/**
 * Set-up of the jest project that runs the pipeline's tests and the fault matrix on @platformatic/kafka
 * (jest.config.js): every pipeline a test starts, in this process or as a child, reads its client from here
 * (harness/pipeline.ts), and a fault-matrix row names it (harness/exactly-once.ts).
 */
process.env.AMPSEAL_TEST_KAFKA_CLIENT = 'platformatic';
