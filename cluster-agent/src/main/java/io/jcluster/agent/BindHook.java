package io.jcluster.agent;

import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

/**
 * Rewrites a bind method so that it first asks {@link ListenerBinder}, in plain ASM (relocated into the
 * agent jar): Byte Buddy's redefinition cost 5-10 times a JVM's start in class loading alone, and
 * every worker would pay it. The code put at the method's entry is, in Java:
 * <pre>
 * Object r = Class.forName("io.jcluster.agent.ListenerBinder", true, ClassLoader.getSystemClassLoader())
 *     .getMethod(binder, Object.class, Object.class, Object.class, Object.class).invoke(null, a, b, c, d);
 * if (r != null) { if (r instanceof Throwable) throw (Throwable) r; return; }
 * </pre>
 * It reaches the agent through JDK types only (it runs inside {@code java.base}, or the app's Netty).
 * The binder returns null for a bind it leaves alone, a throwable for the app to get, or TRUE.
 */
final class BindHook {
    private static final String OBJECT = "java/lang/Object";

    private BindHook() {
    }

    /**
     * {@code bytes} with the hook at the entry of {@code method} (name and descriptor), whose first
     * arguments (with {@code this} for an instance method) are passed to the binder's {@code binder}
     * method, boxed, up to four.
     */
    static byte[] hook(byte[] bytes, String method, String descriptor, String binder) {
        return rewrite(bytes, method, descriptor, binder, false);
    }

    /**
     * {@code bytes} with a call to the binder's {@code counter} method (no arguments, its result
     * dropped) at the entry of {@code method}: a count of the calls, for a method of any return type.
     */
    static byte[] count(byte[] bytes, String method, String descriptor, String counter) {
        return rewrite(bytes, method, descriptor, counter, true);
    }

    // No lambdas here: each spins a class up at its first use, and this runs at every worker's start.
    private static byte[] rewrite(byte[] bytes, String method, String descriptor, String binder, boolean counter) {
        ClassReader reader = new ClassReader(bytes);
        ClassWriter writer = new ClassWriter(reader, ClassWriter.COMPUTE_MAXS);
        reader.accept(new ClassVisitor(Opcodes.ASM9, writer) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String desc, String signature, String[] exceptions) {
                MethodVisitor visitor = super.visitMethod(access, name, desc, signature, exceptions);
                if (!name.equals(method) || !desc.equals(descriptor)) return visitor;
                return new MethodVisitor(Opcodes.ASM9, visitor) {
                    @Override
                    public void visitCode() {
                        super.visitCode();
                        if (counter) {
                            call(mv, true, new Type[0], binder);
                            mv.visitInsn(Opcodes.POP);
                        } else {
                            emit(mv, (access & Opcodes.ACC_STATIC) != 0, Type.getArgumentTypes(desc), binder);
                        }
                    }
                };
            }
        }, 0);
        return writer.toByteArray();
    }

    private static void emit(MethodVisitor mv, boolean isStatic, Type[] arguments, String binder) {
        call(mv, isStatic, arguments, binder);
        Label leave = new Label();
        Label taken = new Label();
        mv.visitInsn(Opcodes.DUP);
        mv.visitJumpInsn(Opcodes.IFNULL, leave);
        mv.visitInsn(Opcodes.DUP);
        mv.visitTypeInsn(Opcodes.INSTANCEOF, "java/lang/Throwable");
        mv.visitJumpInsn(Opcodes.IFEQ, taken);
        mv.visitTypeInsn(Opcodes.CHECKCAST, "java/lang/Throwable");
        mv.visitInsn(Opcodes.ATHROW);
        // The method's locals are its arguments alone here: the frames are the entry's, plus the result.
        mv.visitLabel(taken);
        mv.visitFrame(Opcodes.F_SAME1, 0, null, 1, new Object[] {OBJECT});
        mv.visitInsn(Opcodes.POP);
        mv.visitInsn(Opcodes.RETURN);
        mv.visitLabel(leave);
        mv.visitFrame(Opcodes.F_SAME1, 0, null, 1, new Object[] {OBJECT});
        mv.visitInsn(Opcodes.POP);
    }

    /** The binder's {@code binder} method called with the boxed arguments: its result is left on the stack. */
    private static void call(MethodVisitor mv, boolean isStatic, Type[] arguments, String binder) {
        mv.visitLdcInsn("io.jcluster.agent.ListenerBinder");
        mv.visitInsn(Opcodes.ICONST_1);
        mv.visitMethodInsn(Opcodes.INVOKESTATIC, "java/lang/ClassLoader", "getSystemClassLoader", "()Ljava/lang/ClassLoader;", false);
        mv.visitMethodInsn(Opcodes.INVOKESTATIC, "java/lang/Class", "forName", "(Ljava/lang/String;ZLjava/lang/ClassLoader;)Ljava/lang/Class;", false);
        mv.visitLdcInsn(binder);
        mv.visitInsn(Opcodes.ICONST_1);
        mv.visitTypeInsn(Opcodes.ANEWARRAY, "java/lang/Class");
        mv.visitInsn(Opcodes.DUP);
        mv.visitInsn(Opcodes.ICONST_0);
        mv.visitLdcInsn(Type.getType("[Ljava/lang/Object;"));
        mv.visitInsn(Opcodes.AASTORE);
        mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "java/lang/Class", "getMethod", "(Ljava/lang/String;[Ljava/lang/Class;)Ljava/lang/reflect/Method;", false);
        mv.visitInsn(Opcodes.ACONST_NULL);
        // invoke(null, new Object[] { new Object[] { args... } })
        mv.visitInsn(Opcodes.ICONST_1);
        mv.visitTypeInsn(Opcodes.ANEWARRAY, OBJECT);
        mv.visitInsn(Opcodes.DUP);
        mv.visitInsn(Opcodes.ICONST_0);
        boxedArguments(mv, isStatic, arguments);
        mv.visitInsn(Opcodes.AASTORE);
        mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "java/lang/reflect/Method", "invoke", "(Ljava/lang/Object;[Ljava/lang/Object;)Ljava/lang/Object;", false);
    }

    /** {@code new Object[] { this?, arg0, arg1, ... }}, primitives boxed (only {@code int} occurs). */
    private static void boxedArguments(MethodVisitor mv, boolean isStatic, Type[] arguments) {
        int count = arguments.length + (isStatic ? 0 : 1);
        mv.visitLdcInsn(count);
        mv.visitTypeInsn(Opcodes.ANEWARRAY, OBJECT);
        int slot = 0;
        int index = 0;
        if (!isStatic) {
            store(mv, index++, Opcodes.ALOAD, 0);
            slot = 1;
        }
        for (Type argument : arguments) {
            store(mv, index++, argument.getSort() == Type.INT ? Opcodes.ILOAD : Opcodes.ALOAD, slot);
            slot += argument.getSize();
        }
    }

    /** {@code array[index] = local}, the local loaded by {@code load} from {@code slot}, an int boxed. */
    private static void store(MethodVisitor mv, int index, int load, int slot) {
        mv.visitInsn(Opcodes.DUP);
        mv.visitLdcInsn(index);
        mv.visitVarInsn(load, slot);
        if (load == Opcodes.ILOAD) mv.visitMethodInsn(Opcodes.INVOKESTATIC, "java/lang/Integer", "valueOf", "(I)Ljava/lang/Integer;", false);
        mv.visitInsn(Opcodes.AASTORE);
    }
}
