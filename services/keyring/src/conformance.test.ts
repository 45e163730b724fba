import { describeKeyRingConformance, openMemoryConformanceStore } from './conformance';

describeKeyRingConformance('in-memory store', openMemoryConformanceStore);
