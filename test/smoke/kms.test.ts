import { DecryptCommand, GenerateDataKeyCommand, kmsClient } from '../harness/clients';
import { useResources } from '../harness/resources';

const resources = useResources();

describe('KMS (local-kms, real AWS API)', () => {
  it('generates a data key under the tenant alias and decrypts it only with the same encryption context', async () => {
    const kms = kmsClient(resources);
    const context = { tenant: 'acme-cpo', purpose: 'smoke' };
    const generated = await kms.send(
      new GenerateDataKeyCommand({ KeyId: 'alias/ampseal/acme-cpo', KeySpec: 'AES_256', EncryptionContext: context }),
    );
    const plaintext = Buffer.from(generated.Plaintext!);
    const blob = generated.CiphertextBlob!;
    expect(plaintext).toHaveLength(32);
    expect(Buffer.from(blob).includes(plaintext)).toBe(false);

    const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: context }));
    expect(Buffer.from(decrypted.Plaintext!).equals(plaintext)).toBe(true);

    await expect(
      kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { ...context, tenant: 'voltway-cpo' } })),
    ).rejects.toMatchObject({ name: 'InvalidCiphertextException' });
  });
});
