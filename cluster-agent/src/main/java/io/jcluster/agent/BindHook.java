package io.jcluster.agent;

import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.ClassWriter;
import net.bytebuddy.jar.asm.Label;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import net.bytebuddy.jar.asm.Type;

/**
 * Rewrites a bind method so that it first asks {@link ListenerBinder}, in plain ASM (Byte Buddy's copy,
 * relocated): Byte Buddy's own redefinition cost 5-10 times a JVM's start in class loading alone, and
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
        return rewrite(bytes, method, descriptor, (mv, isStatic, arguments) -> emit(mv, isStatic, arguments, binder));
    }

    /**
     * {@code bytes} with a call to the binder's {@code counter} method (no arguments, its result
     * dropped) at the entry of {@code method}: a count of the calls, for a method of any return type.
     */
    static byte[] count(byte[] bytes, String method, String descriptor, String counter) {
        return rewrite(bytes, method, descriptor, (mv, isStatic, arguments) -> {
            call(mv, true, new Type[0], counter);
            mv.visitInsn(Opcodes.POP);
        });
    }

    private interface Entry {
        void emit(MethodVisitor mv, boolean isStatic, Type[] arguments);
    }

    private static byte[] rewrite(byte[] bytes, String method, String descriptor, Entry entry) {
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
                        entry.emit(mv, (access & Opcodes.ACC_STATIC) != 0, Type.getArgumentTypes(desc));
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
            store(mv, index++, () -> mv.visitVarInsn(Opcodes.ALOAD, 0));
            slot = 1;
        }
        for (Type argument : arguments) {
            int at = slot;
            if (argument.getSort() == Type.INT) {
                store(mv, index++, () -> {
                    mv.visitVarInsn(Opcodes.ILOAD, at);
                    mv.visitMethodInsn(Opcodes.INVOKESTATIC, "java/lang/Integer", "valueOf", "(I)Ljava/lang/Integer;", false);
                });
            } else {
                store(mv, index++, () -> mv.visitVarInsn(Opcodes.ALOAD, at));
            }
            slot += argument.getSize();
        }
    }

    private static void store(MethodVisitor mv, int index, Runnable load) {
        mv.visitInsn(Opcodes.DUP);
        mv.visitLdcInsn(index);
        load.run();
        mv.visitInsn(Opcodes.AASTORE);
    }
}
