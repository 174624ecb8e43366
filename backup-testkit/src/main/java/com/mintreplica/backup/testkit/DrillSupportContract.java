package com.mintreplica.backup.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.RestoreResult;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.core.drill.DrillCheck;
import com.mintreplica.backup.core.drill.DrillSupport;
import com.mintreplica.backup.core.drill.Preflight;
import com.mintreplica.backup.core.drill.Scratch;
import com.mintreplica.backup.core.source.SourceProvider;
import com.mintreplica.backup.core.source.Sources;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The behaviour every source kind's {@link DrillSupport} (and {@link Preflight}) must have, so the jobs layer drills
 * any kind alike: a scratch restores a real snapshot and every check of the kind passes; a failed restore passes no
 * check; removal takes away what the scratch made, twice without harm, and never the original data; the preflight of
 * a reachable source finds no problem; the kind's provider is found through {@code META-INF/services}. An adapter's
 * test supplies a location with data:
 *
 * <pre>{@code
 * class FsDrillSupportTest extends DrillSupportContract {
 *     protected SourceProvider provider() { return new FsSourceProvider(); }
 *     protected String location() { ...write files...; return dir.toString(); }
 *     protected boolean originalIntact() { return Files.exists(dir.resolve("a.txt")); }
 * }
 * }</pre>
 */
public abstract class DrillSupportContract {
    @TempDir
    protected Path kitTemp;

    /** The provider under test (with the environment its tests need: {@link SourceProvider#withEnvironment}). */
    protected abstract SourceProvider provider();

    /** A location of this kind holding some data (a directory, a database URI); called once per test. */
    protected abstract String location() throws Exception;

    /** Whether the original data at {@link #location()} is still all there. */
    protected abstract boolean originalIntact() throws Exception;

    /** The environment a scratch is given (the password in the kind's variable). Default: none. */
    protected Map<String, String> environment() {
        return Map.of();
    }

    /** The source's options. Default: none. */
    protected Map<String, String> options() {
        return Map.of();
    }

    private DrillSupport support() {
        return provider().drills().orElseThrow(() -> new AssertionError(provider().kind() + " offers no drills"));
    }

    private Snapshot backup(Repository repo, String location) throws Exception {
        return Backup.pipeline().source(provider().source(Sources.toUri(location), options())).to(repo).host("kit")
                .build().run().snapshot();
    }

    private Scratch scratch(DrillSupport support, Repository repo, Snapshot s, String location) throws Exception {
        Optional<String> target = support.directoryTarget() ? Optional.of(kitTemp.resolve("drills").toString())
                : Optional.empty();
        return support.scratch(new DrillSupport.Request("kit", s, repo.entries(s), target, Optional.of(location),
                environment(), options(), Map.of(), support.checks(), kitTemp));
    }

    private static Optional<RestoreResult> restore(Repository repo, Snapshot s, Scratch scratch) {
        long entries = 0;
        long bytes = 0;
        for (Scratch.Part part : scratch.parts()) {
            RestoreResult r = repo.restore(SnapshotSelector.id(s.id())).to(part.target()).include(part.includes()).run();
            entries += r.entries();
            bytes += r.bytes();
        }
        return Optional.of(new RestoreResult(s, entries, bytes, java.time.Duration.ZERO));
    }

    @Test
    void the_kinds_provider_is_found_through_its_service_file() {
        assertThat(Sources.forKind(provider().kind())).isPresent();
    }

    @Test
    void a_scratch_restores_a_snapshot_every_check_of_the_kind_passes_and_removal_leaves_the_original() throws Exception {
        DrillSupport support = support();
        String location = location();
        try (Repository repo = Repository.init(new InMemorySink())) {
            Snapshot s = backup(repo, location);
            Scratch scratch = scratch(support, repo, s, location);
            try {
                assertThat(scratch.kind()).isEqualTo(provider().kind());
                assertThat(scratch.describe()).isNotBlank();
                List<DrillCheck> checks = scratch.checks(restore(repo, s, scratch), Optional.empty());
                assertThat(checks).allSatisfy(c -> assertThat(c.status()).as(c.toString())
                        .isEqualTo(DrillCheck.Status.PASSED));
                assertThat(checks).extracting(DrillCheck::name).isSubsetOf(support.checks());
            } finally {
                assertThat(scratch.remove()).isNotBlank();
            }
            assertThat(scratch.remove()).as("a second removal is harmless").isNotBlank();
            assertThat(originalIntact()).isTrue();
            if (support.directoryTarget()) {
                try (var left = Files.list(kitTemp.resolve("drills"))) {
                    assertThat(left).as("what the scratch made is gone").isEmpty();
                }
            }
        }
    }

    @Test
    void after_a_failed_restore_no_check_passes() throws Exception {
        DrillSupport support = support();
        String location = location();
        try (Repository repo = Repository.init(new InMemorySink())) {
            Snapshot s = backup(repo, location);
            Scratch scratch = scratch(support, repo, s, location);
            try {
                List<DrillCheck> checks = scratch.checks(Optional.empty(), Optional.of(new java.io.IOException("kit")));
                assertThat(checks).noneMatch(c -> c.status() == DrillCheck.Status.PASSED);
            } finally {
                scratch.remove();
            }
            assertThat(originalIntact()).isTrue();
        }
    }

    @Test
    void the_preflight_of_a_reachable_source_finds_no_problem() throws Exception {
        Optional<Preflight> preflight = provider().preflight();
        assumeTrue(preflight.isPresent(), provider().kind() + " has no preflight of its own");
        URI location = Sources.toUri(location());
        List<Preflight.Finding> found = preflight.get().source(location, options(), environment(), "jobs.kit.source");
        assertThat(found).isNotEmpty().noneMatch(f -> f.severity() == Preflight.Severity.PROBLEM);
    }
}
