"""The embedded broker of the demo: kombu's SQLAlchemy transport on a SQLite file, polled every 0.1 s.

SQLite is transactional: a message is read whole or not at all (the filesystem transport's readers could see a
half-written file and die on it). kombu hands every option of this transport to `create_engine`, so the polling
interval cannot be a transport option: it is this subclass's attribute.
"""

from kombu.transport import sqlalchemy


class Transport(sqlalchemy.Transport):
    polling_interval = 0.1
