package dev.chorus.jobs;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs several {@code keytool} commands in one JVM, one after the other, as the {@code keytool} launcher would run
 * each: the certificates of {@link SecuredKafkaIT#makeCertificates} took eight launches, each a JVM start and a cold
 * PKCS12 key derivation, about a second apiece on a loaded CI machine. Its arguments are the commands' arguments,
 * the commands separated by {@value #NEXT}. Started by {@link SecuredKafkaIT#keytool} with
 * {@code --add-exports java.base/sun.security.tools.keytool=ALL-UNNAMED}; a failed command fails the JVM with
 * keytool's error and runs no later one.
 */
final class KeytoolBatch {
    static final String NEXT = "--next-keytool-command";

    private KeytoolBatch() {}

    public static void main(String[] args) throws Throwable {
        Method keytool = Class.forName("sun.security.tools.keytool.Main").getMethod("main", String[].class);
        List<String> command = new ArrayList<>();
        for (String arg : args) {
            if (arg.equals(NEXT)) {
                run(keytool, command);
                command.clear();
            } else {
                command.add(arg);
            }
        }
        run(keytool, command);
    }

    private static void run(Method keytool, List<String> command) throws Throwable {
        try {
            keytool.invoke(null, (Object) command.toArray(String[]::new));
        } catch (InvocationTargetException e) {
            System.out.println("keytool " + String.join(" ", command) + " failed: " + e.getCause());
            throw e.getCause();
        }
    }
}
