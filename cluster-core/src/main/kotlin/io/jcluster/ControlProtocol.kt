package io.jcluster

/** The admin socket's request, under its old name. */
@Deprecated("renamed: the admin protocol has a name of its own", ReplaceWith("AdminRequest", "io.jcluster.AdminRequest"))
public typealias ControlRequest = AdminRequest

/** The admin socket's reply, under its old name. */
@Deprecated("renamed: the admin protocol has a name of its own", ReplaceWith("AdminReply", "io.jcluster.AdminReply"))
public typealias ControlReply = AdminReply

/** The admin socket's wire format, under its old name. */
@Deprecated("renamed: the admin protocol has a name of its own", ReplaceWith("AdminProtocol", "io.jcluster.AdminProtocol"))
public typealias ControlProtocol = AdminProtocol
