package com.mintreplica.backup.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.CorruptDataException;
import com.mintreplica.backup.core.Layout;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.RepositorySettings;
import com.mintreplica.backup.core.encryption.RepositoryEncryption;
import com.mintreplica.backup.crypto.internal.DataKey;
import com.mintreplica.backup.crypto.internal.KeyObject;
import com.mintreplica.backup.testkit.InMemorySink;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A {@code keys/} object cut at every length, and with one bit flipped at every position, is refused when the
 * repository is unlocked, with a {@link CorruptDataException} that names it: never another exception, never an
 * "access denied" that sends the operator looking for another key, never keys or recipient details that differ from
 * what was written. The armored public key and wrapped message carry a CRC-24 (and the message its MDC), and the clear
 * fields are checked against them; the one field that nothing in a version 1 key object protects is its creation time
 * (see docs/format.md), so a flip there that still reads as a time is the only change allowed through.
 */
@Timeout(600)
class KeyObjectCorruptionTest {
    private final TestKeys keys = TestKeys.get();

    /** Everything unlocking gives: the keys, and each key object's fields as the reader understood them. */
    record Unlocked(String idKey, List<String> dataKeys, List<List<String>> objects) {
        Unlocked withoutCreationTimes() {
            return new Unlocked(idKey, dataKeys, objects.stream().map(o -> {
                List<String> copy = new ArrayList<>(o);
                copy.set(5, "");
                return (List<String>) copy;
            }).toList());
        }
    }

    static Unlocked read(OpenPgpEncryption encryption, RepositoryEncryption.Context context) throws IOException {
        OpenPgpEncryption.Unlocked u = encryption.unlockKeys(context);
        HexFormat hex = HexFormat.of();
        List<String> dataKeys = new ArrayList<>();
        for (DataKey k : u.dataKeys()) {
            dataKeys.add(k.idHex() + " " + k.created() + " " + hex.formatHex(k.bytes()));
        }
        List<List<String>> objects = new ArrayList<>();
        for (KeyObject o : u.objects()) {
            objects.add(List.of(o.name(), o.repository(), o.fingerprint(), o.keyId(), o.userIds().toString(),
                    o.created().toString(), hex.formatHex(o.publicKeyRing().getEncoded()), hex.formatHex(o.wrappedMessage())));
        }
        return new Unlocked(hex.formatHex(u.idKey()), dataKeys, objects);
    }

    @Test
    void every_damaged_key_object_is_refused_as_corrupt_and_named_except_a_changed_creation_time() throws IOException {
        InMemorySink sink = new InMemorySink();
        String repositoryId;
        try (Repository repo = Repository.init(sink, RepositorySettings.defaults(), OpenPgpEncryption.to(keys.edPublic()))) {
            repositoryId = repo.id();
        }
        String name;
        try (var listed = sink.list(RepositoryEncryption.KEYS_PREFIX)) {
            name = listed.toList().get(0).name();
        }
        byte[] original;
        try (InputStream in = sink.get(name)) {
            original = in.readAllBytes();
        }
        RepositoryEncryption.Context context = new RepositoryEncryption.Context(sink, repositoryId, Layout.CHUNKED, Map.of());
        OpenPgpEncryption encryption = OpenPgpEncryption.unlockWith(keys.edSecret());
        Unlocked expected = read(encryption, context);

        String text = new String(original, StandardCharsets.US_ASCII);
        int createdAt = text.indexOf("\"created\" : \"") + "\"created\" : \"".length();
        int createdEnd = text.indexOf('"', createdAt);
        assertThat(createdAt).isPositive();

        List<String> failures = new ArrayList<>();
        List<Integer> passedInCreated = new ArrayList<>();
        for (int n = 0; n <= original.length * 2; n++) {
            boolean truncation = n < original.length;
            int position = truncation ? n : n - original.length;
            if (!truncation && position >= original.length) {
                break;
            }
            byte[] damaged = truncation ? Arrays.copyOf(original, n) : original.clone();
            if (!truncation) {
                damaged[position] ^= 0x01;
            }
            String what = truncation ? "truncated to " + n + " of " + original.length + " bytes"
                    : "byte " + position + " of " + original.length + " xor 0x01, in '"
                    + text.substring(Math.max(0, position - 12), position) + "[" + text.charAt(position) + "]"
                    + text.substring(position + 1, Math.min(text.length(), position + 12)) + "'";
            put(sink, name, damaged);
            try {
                Unlocked got = read(encryption, context);
                if (!got.equals(expected)) {
                    if (!truncation && position >= createdAt && position < createdEnd
                            && got.withoutCreationTimes().equals(expected.withoutCreationTimes())) {
                        passedInCreated.add(position);
                    } else {
                        failures.add(what + ": read without an error, and gave another result: " + difference(expected, got));
                    }
                }
            } catch (CorruptDataException e) {
                if (!e.getMessage().contains(name)) {
                    failures.add(what + ": the error does not name the object: " + e.getMessage());
                }
            } catch (Throwable t) {
                failures.add(what + ": " + t);
            }
        }
        put(sink, name, original);
        assertThat(read(encryption, context)).isEqualTo(expected);
        assertThat(failures).as("%d damaged key objects were not refused as corrupt; the first: %s", failures.size(),
                failures.stream().limit(20).toList()).isEmpty();
        // The known gap of version 1, and nothing else: digits of the creation time that still make a time.
        assertThat(passedInCreated).allMatch(p -> Character.isDigit(original[p]));
    }

    @Test
    void a_damaged_key_object_fails_opening_the_repository_as_corrupt_data_naming_it() throws IOException {
        InMemorySink sink = new InMemorySink();
        try (Repository repo = Repository.init(sink, RepositorySettings.defaults(), OpenPgpEncryption.to(keys.edPublic()))) {
            assertThat(repo.encryption()).contains("openpgp");
        }
        String name;
        try (var listed = sink.list(RepositoryEncryption.KEYS_PREFIX)) {
            name = listed.toList().get(0).name();
        }
        byte[] original;
        try (InputStream in = sink.get(name)) {
            original = in.readAllBytes();
        }
        put(sink, name, Arrays.copyOf(original, original.length / 2));
        assertThatThrownBy(() -> Repository.open(sink, OpenPgpEncryption.unlockWith(keys.edSecret())))
                .isInstanceOf(CorruptDataException.class).hasMessageContaining(name);
        assertThatThrownBy(() -> KeyManager.recipients(sink)).isInstanceOf(CorruptDataException.class).hasMessageContaining(name);
    }

    @Test
    void a_key_object_damaged_on_the_way_is_read_again_and_damage_on_every_read_is_not_called_corrupt() throws IOException {
        InMemorySink sink = new InMemorySink();
        try (Repository repo = Repository.init(sink, RepositorySettings.defaults(), OpenPgpEncryption.to(keys.edPublic()))) {
            assertThat(repo.encryption()).contains("openpgp");
        }
        String name;
        try (var listed = sink.list(RepositoryEncryption.KEYS_PREFIX)) {
            name = listed.toList().get(0).name();
        }
        // The first read of the key object arrives with one bit flipped: read again, it is intact.
        int[] reads = {0};
        com.mintreplica.backup.core.sink.Sink once = flippingKeyReads(sink, () -> ++reads[0] == 1);
        try (Repository repo = Repository.open(once, OpenPgpEncryption.unlockWith(keys.edSecret()))) {
            assertThat(repo.encryption()).contains("openpgp");
        }
        assertThat(reads[0]).as("read again after the damaged read").isEqualTo(2);
        int[] listed = {0};
        assertThat(KeyManager.recipients(flippingKeyReads(sink, () -> ++listed[0] == 1))).hasSize(1);

        // The clear repository id, which only the wrapped keys check, damaged on the first read: read again too.
        int[] idReads = {0};
        com.mintreplica.backup.core.sink.Sink idOnce = flippingKeyReads(sink, () -> ++idReads[0] == 1, bytes -> {
            int at = new String(bytes, StandardCharsets.ISO_8859_1).indexOf("\"repository\"");
            while (!Character.isDigit(bytes[at])) {
                at++;
            }
            bytes[at] ^= 0x01; // another digit: still a well-formed id, of another repository
        });
        try (Repository repo = Repository.open(idOnce, OpenPgpEncryption.unlockWith(keys.edSecret()))) {
            assertThat(repo.encryption()).contains("openpgp");
        }
        assertThat(idReads[0]).as("read again after the damaged read").isEqualTo(2);

        // Every read damaged differently: the stored object may be intact, and that is what is said.
        assertThatThrownBy(() -> Repository.open(flippingKeyReads(sink, () -> true), OpenPgpEncryption.unlockWith(keys.edSecret())))
                .isNotInstanceOf(CorruptDataException.class)
                .hasMessageContaining("key object '" + name + "' arrived damaged 5 times")
                .hasMessageContaining("different bytes each time").hasMessageContaining("the stored object may be intact");
    }

    /**
     * {@code sink}, whose reads of key objects flip one bit (a different one each read, as damage on a network does)
     * while {@code damage} says so.
     */
    private static com.mintreplica.backup.core.sink.Sink flippingKeyReads(InMemorySink sink,
                                                                          java.util.function.BooleanSupplier damage) {
        int[] flips = {0};
        return flippingKeyReads(sink, damage, bytes -> bytes[20 + 7 * flips[0]++] ^= 0x01);
    }

    private static com.mintreplica.backup.core.sink.Sink flippingKeyReads(InMemorySink sink,
            java.util.function.BooleanSupplier damage, java.util.function.Consumer<byte[]> flip) {
        return (com.mintreplica.backup.core.sink.Sink) java.lang.reflect.Proxy.newProxyInstance(
                KeyObjectCorruptionTest.class.getClassLoader(), new Class<?>[] {com.mintreplica.backup.core.sink.Sink.class},
                (proxy, method, args) -> {
                    Object result;
                    try {
                        result = method.invoke(sink, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (method.getName().equals("get") && args.length == 1
                            && ((String) args[0]).startsWith(RepositoryEncryption.KEYS_PREFIX) && damage.getAsBoolean()) {
                        byte[] bytes;
                        try (InputStream in = (InputStream) result) {
                            bytes = in.readAllBytes();
                        }
                        flip.accept(bytes);
                        return new ByteArrayInputStream(bytes);
                    }
                    return result;
                });
    }

    /** Which fields differ, for the message. */
    static String difference(Unlocked expected, Unlocked got) {
        List<String> out = new ArrayList<>();
        if (!expected.idKey().equals(got.idKey())) {
            out.add("id key");
        }
        if (!expected.dataKeys().equals(got.dataKeys())) {
            out.add("data keys " + got.dataKeys());
        }
        String[] fields = {"name", "repository", "fingerprint", "keyId", "userIds", "created", "publicKey", "wrapped"};
        for (int i = 0; i < Math.min(expected.objects().size(), got.objects().size()); i++) {
            for (int f = 0; f < fields.length; f++) {
                String a = expected.objects().get(i).get(f);
                String b = got.objects().get(i).get(f);
                if (!a.equals(b)) {
                    out.add(fields[f] + (b.length() < 100 ? " " + b : ""));
                }
            }
        }
        return String.join(", ", out);
    }

    private static void put(InMemorySink sink, String name, byte[] bytes) {
        try {
            sink.put(name, new ByteArrayInputStream(bytes), bytes.length, com.mintreplica.backup.core.sink.ObjectKind.KEY);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
