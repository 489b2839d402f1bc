"""An admin sends the catalogue spreadsheet to the bot over the Bot API stand-in (getFile
and a file download, like Telegram): the report, what changes, a confirm button; then
people's amount questions get the figure. A damaged copy changes nothing."""

from __future__ import annotations

from tests.e2e.conftest import ADMIN, BotProcess
from tests.support.catalogue import CAPTION, damaged_csv, example_xlsx

PERSON = 4242


def test_admin_uploads_previews_and_confirms_the_catalogue(bot_process: BotProcess):
    api = bot_process.api
    # A damaged copy: the row-numbered report, no button, nothing imported.
    api.push_document(ADMIN, "damaged.csv", damaged_csv(), CAPTION)
    report = api.wait_for_text(ADMIN, "没有导入，原有数据不变", timeout=60)
    assert "第3行：等级“中高级”不认识" in report.text and report.buttons == []
    # Without a caption: the check, and how to give the date and source.
    api.push_document(ADMIN, "example.xlsx", example_xlsx())
    api.wait_for_text(ADMIN, "文件说明里写：执行日期 依据文件")

    api.push_document(ADMIN, "example.xlsx", example_xlsx(), CAPTION)
    preview = api.wait_for_text(ADMIN, "导入后的变化")
    assert "没有发现问题" in preview.text and "这是第一个版本：新增9条" in preview.text
    confirm = next(data for label, data in preview.buttons if "确认" in label)
    assert api.calls("getFile"), "the bot fetched the file through getFile"

    # Not confirmed yet: the answer has no figure.
    api.push_text(PERSON, "美容师中级补多少")
    before = api.wait_for_messages(PERSON, 1, timeout=60)[-1]
    assert "1200元" not in before.text

    # Someone else's tap on the admin's button is refused; the admin's imports it.
    api.push_callback(PERSON, confirm)
    api.wait_for_text(PERSON, "管理员")
    # Confirmed: the preview it belongs to says so (its buttons gone), with a toast.
    api.push_callback(ADMIN, confirm, message_id=preview.message_id)
    done = api.wait_for_edit_text(ADMIN, "已导入补贴目录清单：9条", preview.message_id)
    assert done.buttons == [] and "已导入" in api.toasts(ADMIN)
    api.push_callback(ADMIN, confirm, message_id=preview.message_id)
    api.wait_for_text(ADMIN, "已经处理过或已过期")

    api.push_text(PERSON, "焊工初级和中级差多少")
    answer = api.wait_for_text(PERSON, "多<b>200元</b>", timeout=60)
    assert "2020年7月23日起执行" in answer.text

    # A document from someone who is not an admin is not an upload.
    api.push_document(PERSON, "mine.csv", damaged_csv(), CAPTION)
    api.wait_for_messages(PERSON, 4, timeout=30)
    assert not any("目录文件检查" in m.text for m in api.messages_to(PERSON))
    assert api.errors == []
