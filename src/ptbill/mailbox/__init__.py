"""The clearinghouse mailbox's transports: one interface (``transport.Mailbox``: send, list the inbox, fetch,
archive), a folder on this machine (``folder.py``, the embedded default) and SFTP (``sftp.py``, paramiko), and
the transaction type an incoming file's envelope names (``kinds.py``)."""
