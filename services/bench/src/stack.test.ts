import { cpuOfCpuinfo } from './stack';

describe('the machine description', () => {
  it('takes the model name of /proc/cpuinfo verbatim, with family, model and stepping', () => {
    // Two processors of a cloud VM (trimmed): the first one describes the machine.
    const text = [
      'processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 1\nmodel name\t: AMD EPYC 7B13\nstepping\t: 0\ncpu MHz\t\t: 2450.000\n',
      'processor\t: 1\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 1\nmodel name\t: AMD EPYC 7B13\nstepping\t: 0\n',
    ].join('\n');
    expect(cpuOfCpuinfo(text)).toEqual({ model: 'AMD EPYC 7B13', signature: 'family 25 model 1 stepping 0' });
  });

  it('knows when there is no model name (an ARM board lists none)', () => {
    expect(cpuOfCpuinfo('processor\t: 0\nBogoMIPS\t: 50.00\n')).toBeUndefined();
  });
});
