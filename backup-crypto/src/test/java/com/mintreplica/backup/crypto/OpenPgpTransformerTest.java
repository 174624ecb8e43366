package com.mintreplica.backup.crypto;

import com.mintreplica.backup.core.transform.Transformer;
import com.mintreplica.backup.testkit.TransformerContract;
import java.util.List;

/** The OpenPGP transformer passes the Transformer kit, with gpg-made ed25519/cv25519 and RSA keys. */
class OpenPgpTransformerTest extends TransformerContract {
    private final TestKeys keys = TestKeys.get();

    @Override
    protected Transformer newTransformer() {
        return OpenPgpTransformer.builder()
                .encryptTo(keys.edPublic())
                .encryptTo(keys.rsaPublic())
                .decryptWith(keys.edSecret())
                .build();
    }

    /** Parameters never hold keys: the rebuilt transformer gets them from the caller's keys. */
    @Override
    protected Transformer rebuild(Transformer original) {
        return OpenPgpTransformer.provider(List.of(keys.edPublic(), keys.rsaPublic()), List.of(keys.rsaSecret()))
                .create(original.parameters());
    }
}
