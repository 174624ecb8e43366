package com.mintreplica.backup.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.AccessDeniedException;
import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.BackupResult;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.RepositorySettings;
import com.mintreplica.backup.core.Secret;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.core.encryption.EncryptionProvider;
import com.mintreplica.backup.core.encryption.EncryptionProvider.KeyInfo;
import com.mintreplica.backup.core.encryption.EncryptionProvider.UnlockedKey;
import com.mintreplica.backup.core.encryption.Encryptions;
import com.mintreplica.backup.core.encryption.RepositoryEncryption;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link EncryptionProvider} must have, so the jobs layer and the CLI use any scheme alike: it is
 * found by its id; a repository created for a recipient opens with that recipient's unlocked secret key (and the data
 * round-trips), and not without a key; a wrong passphrase is an {@link AccessDeniedException} that shows no secret;
 * the doctor's view of a key (fingerprint, expiry) is the same from its public and its secret file. An implementation's
 * test supplies key files:
 *
 * <pre>{@code
 * class OpenPgpEncryptionProviderTest extends EncryptionProviderContract {
 *     protected EncryptionProvider provider() { return new OpenPgpEncryptionProvider(); }
 *     protected Path publicKey() { return key.publicFile(); }
 *     protected Path secretKey() { return key.secretFile(); }
 *     protected Secret passphrase() { return Secret.of(GnuPG.PASSPHRASE); }
 * }
 * }</pre>
 */
public abstract class EncryptionProviderContract {

    /** The provider under test. */
    protected abstract EncryptionProvider provider();

    /** A file with the recipient's public key. */
    protected abstract Path publicKey() throws Exception;

    /** A file with the same recipient's secret key, protected by {@link #passphrase()}. */
    protected abstract Path secretKey() throws Exception;

    /** The secret key's passphrase (at least 3 characters, so a message that showed it would be found). */
    protected abstract Secret passphrase();

    @Test
    void it_is_found_by_its_id_and_its_encryptions_record_that_scheme() throws Exception {
        EncryptionProvider provider = provider();
        assertThat(Encryptions.forId(provider.id())).get().extracting(EncryptionProvider::id).isEqualTo(provider.id());
        assertThat(provider.module()).isNotBlank();
        assertThat(provider.create(List.of(publicKey())).scheme()).isEqualTo(provider.id());
    }

    @Test
    void a_repository_created_for_a_recipient_opens_with_its_unlocked_secret_key_and_its_data_round_trips() throws Exception {
        EncryptionProvider provider = provider();
        InMemorySink sink = new InMemorySink();
        SampleSource source = SampleSource.builder().add("ledger.txt", "1;2;3\n".getBytes(StandardCharsets.UTF_8)).build();
        String id;
        try (Repository repo = Repository.init(sink, RepositorySettings.defaults(), provider.create(List.of(publicKey())))) {
            BackupResult result = Backup.pipeline().source(source).to(repo).host("contract").build().run();
            id = result.snapshotId();
        }
        UnlockedKey key = provider.unlock(secretKey(), Optional.of(passphrase()));
        RepositoryEncryption unlock = provider.unlockWith(List.of(key));
        try (Repository repo = Repository.open(sink, unlock)) {
            DigestTarget target = new DigestTarget();
            repo.restore(SnapshotSelector.id(id)).to(target).run();
            assertThat(target.digests()).isEqualTo(source.digests());
        }
        assertThatThrownBy(() -> Repository.open(sink).close()).isInstanceOf(AccessDeniedException.class);
    }

    @Test
    void a_wrong_passphrase_is_access_denied_and_the_message_shows_no_secret() throws Exception {
        Secret wrong = Secret.of("not-" + passphrase().reveal());
        assertThatThrownBy(() -> provider().unlock(secretKey(), Optional.of(wrong)))
                .isInstanceOf(AccessDeniedException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(wrong.reveal())
                        .doesNotContain(passphrase().reveal()));
        assertThat(provider().unlock(secretKey(), Optional.of(passphrase())).toString())
                .doesNotContain(passphrase().reveal());
    }

    @Test
    void the_doctor_sees_the_same_key_in_the_public_and_the_secret_file_with_its_renewal() throws Exception {
        EncryptionProvider provider = provider();
        List<KeyInfo> pub = provider.publicKeys(publicKey());
        KeyInfo secret = provider.unlock(secretKey(), Optional.of(passphrase())).info();
        assertThat(pub).extracting(KeyInfo::fingerprint).contains(secret.fingerprint());
        KeyInfo same = pub.stream().filter(k -> k.fingerprint().equals(secret.fingerprint())).findFirst().orElseThrow();
        assertThat(same.expires()).isEqualTo(secret.expires());
        assertThat(same.problem()).isEmpty();
        assertThat(provider.renewal(same, publicKey())).contains(publicKey().toString());
    }

    @Test
    void keys_of_another_provider_are_refused_with_a_message() throws Exception {
        UnlockedKey foreign = () -> new KeyInfo("FOREIGN", List.of(), Optional.empty(), Optional.empty());
        assertThatThrownBy(() -> provider().unlockWith(List.of(foreign)))
                .isInstanceOf(com.mintreplica.backup.core.BackupException.class)
                .hasMessageContaining("FOREIGN");
    }
}
