package com.mintreplica.backup.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every module's jar names its module ({@code Automatic-Module-Name: com.mintreplica.backup.<module>}), and the JDK
 * reads that name from it. An IT because it needs the jars: failsafe runs after {@code package}, when the reactor
 * hands this module the other modules' jars rather than their class directories.
 */
@Timeout(60)
class AutomaticModuleNameIT {

    /** A public class of each module, to find its jar by, and the module name its jar must declare. */
    static final Map<String, Class<?>> MODULES = new LinkedHashMap<>();

    static {
        MODULES.put("com.mintreplica.backup.core", com.mintreplica.backup.core.Repository.class);
        MODULES.put("com.mintreplica.backup.testkit", com.mintreplica.backup.testkit.InMemorySink.class);
        MODULES.put("com.mintreplica.backup.fs", com.mintreplica.backup.fs.DirectorySource.class);
        MODULES.put("com.mintreplica.backup.postgres", com.mintreplica.backup.postgres.PostgresConnection.class);
        MODULES.put("com.mintreplica.backup.mongo", com.mintreplica.backup.mongo.MongoDumpSource.class);
        MODULES.put("com.mintreplica.backup.storage.s3", com.mintreplica.backup.storage.s3.S3Sink.class);
        MODULES.put("com.mintreplica.backup.storage.gcs", com.mintreplica.backup.storage.gcs.GcsSink.class);
        MODULES.put("com.mintreplica.backup.crypto", com.mintreplica.backup.crypto.OpenPgpEncryption.class);
        MODULES.put("com.mintreplica.backup.jobs", com.mintreplica.backup.jobs.Doctor.class);
        MODULES.put("com.mintreplica.backup.cli", com.mintreplica.backup.cli.MintBackup.class);
        MODULES.put("com.mintreplica.backup.spring.boot.starter",
                com.mintreplica.backup.spring.boot.starter.MintBackupAutoConfiguration.class);
    }

    static Set<String> moduleNames() {
        return MODULES.keySet();
    }

    @ParameterizedTest
    @MethodSource("moduleNames")
    void the_jar_declares_its_module_name_and_the_jdk_reads_it(String expected) throws Exception {
        Path jar = Path.of(MODULES.get(expected).getProtectionDomain().getCodeSource().getLocation().toURI());
        assertThat(jar.getFileName().toString())
                .as("%s comes from %s: run this test with `verify`, so that the reactor hands over the module's jar", expected, jar)
                .endsWith(".jar");
        try (JarFile file = new JarFile(jar.toFile())) {
            assertThat(file.getManifest().getMainAttributes().getValue("Automatic-Module-Name"))
                    .as("Automatic-Module-Name in %s", jar).isEqualTo(expected);
        }
        ModuleReference module = ModuleFinder.of(jar).findAll().iterator().next();
        ModuleDescriptor descriptor = module.descriptor();
        assertThat(descriptor.name()).isEqualTo(expected);
        assertThat(descriptor.isAutomatic()).isTrue();
    }

    /** A new module must be added to {@link #MODULES} (and give itself the automatic-module-name property). */
    @Test
    void every_jar_module_of_the_build_is_checked() throws IOException, URISyntaxException {
        Path root = Path.of(AutomaticModuleNameIT.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .getParent().getParent().getParent();   // architecture-tests/target/test-classes -> the build's root
        String parent = Files.readString(root.resolve("pom.xml"));
        Set<String> declared = new TreeSet<>();
        Matcher m = Pattern.compile("<module>([^<]+)</module>").matcher(parent);
        while (m.find()) {
            Path dir = root.resolve(m.group(1));
            if (Files.isDirectory(dir.resolve("src/main/java"))) {
                Matcher name = Pattern.compile("<automatic-module-name>([^<]+)</automatic-module-name>")
                        .matcher(Files.readString(dir.resolve("pom.xml")));
                assertThat(name.find()).as("%s/pom.xml sets the automatic-module-name property", m.group(1)).isTrue();
                declared.add(name.group(1));
            }
        }
        assertThat(declared).as("the modules with main classes").isNotEmpty();
        // examples are not libraries: they set the name, but nothing here depends on them
        declared.removeIf(n -> n.startsWith("com.mintreplica.backup.examples"));
        assertThat(declared).containsExactlyInAnyOrderElementsOf(MODULES.keySet());
    }
}
