"""``makemessages`` without fuzzy matching: a guessed translation of a similar message is worse than none
(it once turned "Home town" into "Trang chủ"), so new messages arrive untranslated and the i18n test names them."""

from django.core.management.commands.makemessages import Command as MakeMessagesCommand


class Command(MakeMessagesCommand):
    msgmerge_options = [*MakeMessagesCommand.msgmerge_options, "--no-fuzzy-matching"]
