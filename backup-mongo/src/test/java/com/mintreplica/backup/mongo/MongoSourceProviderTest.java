package com.mintreplica.backup.mongo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.source.SourceId;
import com.mintreplica.backup.core.source.SourceProvider;
import com.mintreplica.backup.core.source.Sources;
import java.net.URI;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The CLI's way in: found by scheme and kind through META-INF/services, configured by options. */
class MongoSourceProviderTest {

    @Test
    void the_provider_is_found_by_both_schemes_and_by_kind() {
        assertThat(Sources.forLocation(URI.create("mongodb://db1/"))).isInstanceOf(MongoSourceProvider.class);
        assertThat(Sources.forLocation(URI.create("mongodb+srv://cluster0.example.net/"))).isInstanceOf(MongoSourceProvider.class);
        assertThat(Sources.forKind("mongodb")).get().isInstanceOf(MongoSourceProvider.class);
        assertThat(Sources.requireKind("mongodb").module()).isEqualTo("backup-mongo");
    }

    @Test
    void source_options_choose_what_is_backed_up() throws Exception {
        SourceProvider provider = new MongoSourceProvider();
        assertThat(provider.source(URI.create("mongodb://db1:27017,db2:27017/?replicaSet=rs0"),
                Map.of("databases", "mint, crm", "exclude", "mint.tmp*", "batch-size", "200", "consistency", "snapshot")).id())
                .isEqualTo(new SourceId("mongodb", "db1:27017,db2:27017/mint,crm,!mint.tmp*"));
        assertThat(provider.source(URI.create("mongodb://db1/mint"), Map.of()).id().name()).isEqualTo("db1/mint");
    }

    @Test
    void unknown_or_bad_options_are_refused_with_what_is_known() throws Exception {
        SourceProvider provider = new MongoSourceProvider();
        URI db = URI.create("mongodb://db1/");
        assertThatThrownBy(() -> provider.source(db, Map.of("exclde", "x")))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("no option 'exclde'")
                .hasMessageContaining("databases");
        assertThatThrownBy(() -> provider.source(db, Map.of("consistency", "strong")))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("auto, snapshot or none");
        assertThatThrownBy(() -> provider.target(Optional.of(db), Map.of("drop", "maybe")))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("true or false");
        assertThatThrownBy(() -> provider.target(Optional.of(db), Map.of("target-database", "a.b")))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("not a valid MongoDB database name");
    }

    @Test
    void a_restore_needs_a_target_location_and_a_verifier_needs_none() throws Exception {
        SourceProvider provider = new MongoSourceProvider();
        assertThatThrownBy(() -> provider.target(Optional.empty(), Map.of()))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("--target mongodb://");
        assertThat(provider.target(Optional.of(URI.create("mongodb://db1/")), Map.of("target-database", "drill", "drop", "")))
                .isInstanceOf(MongoTarget.class).hasToString("MongoTarget[mongodb://db1/drill]");
        assertThat(provider.verifier(Map.of())).get().isInstanceOf(MongoVerifier.class);
    }

    @Test
    void a_password_for_a_location_that_names_only_the_user_comes_from_the_environment() throws Exception {
        try (InProcessMongo server = InProcessMongo.withUser("backup", "Env-Pw-31!");
             com.mintreplica.backup.core.Repository repo = com.mintreplica.backup.core.Repository.init(
                     new com.mintreplica.backup.testkit.InMemorySink())) {
            FinanceData.create(server.client().getDatabase("mint"), 20);
            URI withoutPassword = URI.create("mongodb://backup@" + server.hostAndPort() + "/?authSource=admin&serverSelectionTimeoutMS=5000");
            SourceProvider provider = new MongoSourceProvider()
                    .withEnvironment(Map.of(MongoSourceProvider.PASSWORD_ENV, "Env-Pw-31!"));
            var result = com.mintreplica.backup.core.Backup.pipeline()
                    .source(provider.source(withoutPassword, Map.of("databases", "mint"))).to(repo).build().run();
            assertThat(result.snapshot().facts()).containsKey("mongodb.count.mint.ledger");
            SourceProvider noPassword = new MongoSourceProvider().withEnvironment(Map.of());
            assertThatThrownBy(() -> com.mintreplica.backup.core.Backup.pipeline()
                    .source(noPassword.source(withoutPassword, Map.of("databases", "mint"))).to(repo).build().run())
                    .isInstanceOf(com.mintreplica.backup.core.BackupException.class)
                    .hasMessageNotContaining("Env-Pw-31!");
        }
    }
}
