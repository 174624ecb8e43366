package com.mintreplica.backup.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.RepositorySettings;
import com.mintreplica.backup.core.sink.ObjectInfo;
import com.mintreplica.backup.core.transform.Transformer;
import com.mintreplica.backup.testkit.InMemorySink;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link Repository#objectName} and {@link Repository#untrustedObject}, the signatures standalone objects (archived
 * WAL) carry in their names, on an in-memory repository with keys made by the real gpg. WAL itself: backup-postgres's
 * WalSignatureIT.
 */
@Timeout(120)
class StandaloneSignatureTest {
    private static final String BASE = "wal/db1/7312/0000000100000000/000000010000000000000003-"
            + "ab".repeat(32) + "-20261205T093000000Z";
    private final TestKeys keys = TestKeys.get();

    private InMemorySink repository() {
        InMemorySink sink = new InMemorySink();
        Repository.init(sink, RepositorySettings.defaults(), OpenPgpEncryption.to(keys.edPublic())).close();
        return sink;
    }

    private static ObjectInfo listed(String name, Instant stored) {
        return new ObjectInfo(name, 100, stored);
    }

    @Test
    void without_writers_the_name_is_the_base_and_the_suffix_and_unsigned_objects_are_trusted() {
        InMemorySink sink = repository();
        try (Repository repo = Repository.open(sink, OpenPgpEncryption.unlockWith(keys.edSecret()))) {
            assertThat(repo.objectName(BASE)).isEqualTo(BASE + ".zst.gpg");
            assertThat(repo.untrustedObject(listed(BASE + ".zst.gpg", Instant.now()), BASE)).isEmpty();
        }
    }

    @Test
    void with_writers_readers_sign_and_only_real_signatures_or_earlier_unsigned_objects_are_trusted() throws Exception {
        InMemorySink sink = repository();
        Instant beforeWriters = Instant.now().minusSeconds(60);
        try (KeyManager manager = KeyManager.open(sink, keys.edSecret())) {
            manager.exportWriter("db-host");
        }
        try (Repository repo = Repository.open(sink, OpenPgpEncryption.unlockWith(keys.edSecret()))) {
            String name = repo.objectName(BASE);
            assertThat(name).startsWith(BASE + "-").endsWith(".zst.gpg");
            String signature = name.substring(BASE.length() + 1, name.length() - ".zst.gpg".length());
            assertThat(signature).hasSize(112).matches("[A-Za-z0-9_-]+");
            assertThat(repo.untrustedObject(listed(name, Instant.now()), BASE)).isEmpty();
            // bound to the name: the same signature on another segment's name is forged
            String other = BASE.replace("0003-", "0004-");
            assertThat(repo.untrustedObject(listed(other + "-" + signature + ".zst.gpg", Instant.now()), other))
                    .hasValueSatisfying(why -> assertThat(why).contains("does not verify"));
            // unsigned: trusted only when stored before the first writers list
            assertThat(repo.untrustedObject(listed(BASE + ".zst.gpg", beforeWriters), BASE)).isEmpty();
            assertThat(repo.untrustedObject(listed(BASE + ".zst.gpg", Instant.now().plusSeconds(1)), BASE))
                    .hasValueSatisfying(why -> assertThat(why).contains("not signed"));
            // bytes that are no signature but which the keys' open() would take for a reader's object: a header of
            // what the repository's own chain seals under its data key (its key id is readable in every pack header)
            List<Transformer> chain = repo.transformers();
            byte[] sealed = chain.get(chain.size() - 1).encode("x".getBytes(StandardCharsets.UTF_8));
            String forged = BASE + "-" + Base64.getUrlEncoder().withoutPadding().encodeToString(sealed) + ".zst.gpg";
            Optional<String> why = repo.untrustedObject(listed(forged, Instant.now()), BASE);
            assertThat(why).hasValueSatisfying(w -> assertThat(w).contains("no valid signature"));
        }
    }
}
